"""Beside the flow: a lab of real Debian 12 hosts on this machine to rehearse deploys on."""
