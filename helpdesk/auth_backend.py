"""Django's model backend with permission sets kept in the directory cache.

Every desk request asks what the signed-in person may do; Django's backend answers
with two queries per request. The sets are cached per person for a directory
generation (``helpdesk.directory_cache``), which any change of users, groups or
permissions ends. ``is_active`` is still read from the user loaded for this request,
so switching an account off takes effect at once, and a superuser's set is cached
apart from the same person's ordinary one.
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from helpdesk import directory_cache


class CachedPermissionsBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = directory_cache.permission_set(
                user_obj, lambda: ModelBackend.get_all_permissions(self, user_obj)
            )
        return user_obj._perm_cache
