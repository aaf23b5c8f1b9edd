"""Social: follows and fans (私域), and the inbox that tells fans when a followed room goes live.

Other domains and the routes use only these functions. The live domain calls
``new_followers_between`` (a session's new fans) and ``followers_of`` (whom to push to).
"""

from __future__ import annotations

from laotie.social.follows import (
    fan_count,
    fans,
    follow,
    followers_of,
    is_following,
    my_follows,
    new_followers_between,
    target_name,
    unfollow,
)
from laotie.social.inbox import fan_out_live_started, inbox, mark_all_read, mark_read, notify, unread_count

__all__ = [
    "fan_count",
    "fan_out_live_started",
    "fans",
    "follow",
    "followers_of",
    "inbox",
    "is_following",
    "mark_all_read",
    "mark_read",
    "my_follows",
    "new_followers_between",
    "notify",
    "target_name",
    "unfollow",
    "unread_count",
]
