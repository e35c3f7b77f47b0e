"""Data for the sprints: seeded generators for synthetic tasks and loaders for real text and data sets.

Nothing here downloads at run time unless an optional loader is asked to and the machine is online.
"""
