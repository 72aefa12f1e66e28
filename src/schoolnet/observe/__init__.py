"""What is really there: read-only facts from servers and switches, kept as snapshots and reconciled with
the inventory.  `switch_facts` turns what a switch prints (identity, LLDP neighbours, MAC table, links)
into typed facts."""
