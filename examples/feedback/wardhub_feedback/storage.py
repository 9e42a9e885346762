"""Photos of reports on disk: core's photo store, configured for this plugin.

The folder is ``WARDHUB_FEEDBACK_PHOTOS`` (default ``var/feedback/photos``); a photo is stored as
``<folder>/<tenant id>/<photo id>.<ext>``. Accepted by content (magic bytes), never by name or declared type: JPEG,
PNG and WebP, at most ``WARDHUB_FEEDBACK_PHOTO_MAX_BYTES`` each (default 5 MiB); anything else is a
``BAD_USER_INPUT`` on ``photo`` saying why, in Vietnamese and English. A file is kept only if the transaction that
files its report commits.
"""

from core.toolkit import PhotoStore

photos = PhotoStore("WARDHUB_FEEDBACK_PHOTOS", "var/feedback/photos", "WARDHUB_FEEDBACK_PHOTO_MAX_BYTES",
                    field="photo")
