"""Stage 1: find the inventory's YAML files and read them with file:line marks."""

from schoolnet.inventory.tree import InventoryFiles, load_tree
from schoolnet.inventory.yamlload import Document, load_document

__all__ = ["Document", "InventoryFiles", "load_document", "load_tree"]
