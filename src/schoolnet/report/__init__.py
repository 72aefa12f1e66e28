"""Stage beside deploy: what people read, made from the model (site, handover certificates)."""
