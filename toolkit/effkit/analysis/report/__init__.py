"""``effkit report``: one page comparing build folders."""
