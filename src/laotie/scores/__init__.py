"""Scores (issue 11): DSR, 品退率, 商品分, 价格力, 商家体验分 and 推广者诚信, recomputed from events."""
