"""Buyer reviews (评价): stars, text, photos, follow-ups, merchant replies, default reviews, reports."""
