"""Beside the inventory: the edits of a school's life after day 1 (tablets moved, a school closed), made as
reviewable changes to the inventory's files."""
