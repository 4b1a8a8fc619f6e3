-- SQLite: the Italian stems, computed by the application, in the FTS5 table.
INSERT INTO search_fts (rowid, terms) VALUES
  (1, :guidelines_stems),
  (2, :message_stems);
