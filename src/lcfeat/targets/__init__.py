"""Which stars: KIC ids (`ids`), target lists as users give them (`lists`), the bundled
presets and the KOI and stellar catalog (`catalog`).

Submodules are imported on use: the catalog needs pandas, an id does not.
"""
