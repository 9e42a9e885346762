"""Test-only plugins, registered by the tests through real ``importlib.metadata.EntryPoint`` objects.

``alpha`` is a module plugin (like most real ones); ``catalog`` holds plugin objects for dependency,
version and hook scenarios; ``bad_manifests`` holds manifests that must be refused at start-up;
``explodes`` raises while being imported.
"""
