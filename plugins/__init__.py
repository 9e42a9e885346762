"""WardHub's built-in domain plugins, one package each, registered under the ``wardhub.plugins`` entry points."""
