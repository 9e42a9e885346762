"""residents: the ward's population register (sổ hộ khẩu / nhân khẩu).

Read in this order: ``plugin.py`` (manifest and hooks), ``models.py`` (tables), ``reference.py``
(official lists), ``validation.py`` (rules, including the identification number), ``registry.py``
(the platform-wide number registry), ``services.py`` (operations), ``search.py``, ``statistics.py``,
``imports.py`` (file import and export, with the template), ``routes.py`` (REST), ``hookspecs.py``
(hooks offered to other plugins), ``samples.py`` (sample data), ``migrations/``, ``tests/``.
"""
