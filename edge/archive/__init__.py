"""The box's ring archive: fMP4 files under data_dir/archive, catalogued in SQLite."""
