"""The switch emulator: a vendor's command line over SSH, for the lab and the tests.

Real VRP and IOS images cannot run here.  `cli` is the command line (grammar, modes, prompts, how
each OS prints its configuration), `server` puts it behind SSH on one address, `drift` makes the
differences a lab switch boots with.  The host lab (`schoolnet.lab`) starts one per lab switch."""
