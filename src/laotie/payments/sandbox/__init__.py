"""The built-in sandbox payment provider: a small PSP that lives in the same process and database but
behaves like an external one. It keeps its own tables, decides outcomes from test tokens (like card
networks' test cards), and tells the platform what happened only through signed webhooks, delivered late,
sometimes twice or out of order, and retried until acknowledged. The platform reaches it only through
``SandboxProvider``, which implements ``laotie.payments.interfaces``."""
