"""The plugin contract (:mod:`core.plugins.hookspecs`), manifests and the manager."""
