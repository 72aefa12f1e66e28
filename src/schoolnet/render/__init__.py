"""Stage 5: every host's intended files under build/hosts/<host>/<path>, once, with a manifest."""

from schoolnet.render.engine import RenderSummary, load_manifest, render_fleet

__all__ = ["RenderSummary", "load_manifest", "render_fleet"]
