"""Every outbox event, typed: the contract between domains.

One module per emitting domain (``events.orders`` holds what ``orders`` emits). The events sit below
every domain, beside ``core``, because a subscriber may be lower than the emitter (promotions hears
``OrderCancelled``): each domain may import any of them, and they import nothing but ``core``.
``docs/events.md`` lists each topic with its emitters and subscribers
(``tests/unit/test_event_topics.py`` keeps it true).
"""
