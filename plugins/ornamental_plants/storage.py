"""Photos of specimens on disk: core's photo store, configured for this plugin.

The folder is ``WARDHUB_ORNAMENTAL_PHOTOS`` (default ``var/ornamental_plants/photos``); a photo is stored as
``<folder>/<tenant id>/<photo id>.<ext>``. Accepted by content: JPEG, PNG and WebP, at most
``WARDHUB_ORNAMENTAL_PHOTO_MAX_BYTES`` (default 5 MiB); anything else is a ``BAD_USER_INPUT`` on ``file`` saying
why. A file is kept only if the transaction that records its row commits, and removed once its deletion commits.
"""

from core.toolkit import PhotoStore

photos = PhotoStore("WARDHUB_ORNAMENTAL_PHOTOS", "var/ornamental_plants/photos", "WARDHUB_ORNAMENTAL_PHOTO_MAX_BYTES",
                    field="file")
