"""A plugin whose import raises, as when a dependency it imports is missing or broken."""

from core.toolkit import PluginManifest

manifest = PluginManifest(name="explodes", version="1.0.0", title_vi="Nổ", title_en="Explodes")

raise RuntimeError("cannot reach the population register")
