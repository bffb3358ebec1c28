"""Django's model backend with permission sets kept in the directory cache.

Every desk request asks what the signed-in person may do; Django's backend answers
with two queries per request. The sets are cached per person for a directory
generation (``helpdesk.directory_cache``), which any change of users, groups or
permissions ends. ``is_active`` and ``is_superuser`` are still read from the user
loaded for this request, so deactivating someone takes effect at once.
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from helpdesk import directory_cache


class CachedPermissionsBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            cached = directory_cache.permission_set(
                user_obj.pk, lambda: ModelBackend.get_all_permissions(self, user_obj)
            )
            user_obj._perm_cache = cached
        return user_obj._perm_cache
