-- PostgreSQL: the tsvector, title above body.
UPDATE search_entries
   SET terms = setweight(to_tsvector('italian', title), 'A') || setweight(to_tsvector('italian', body), 'B');
