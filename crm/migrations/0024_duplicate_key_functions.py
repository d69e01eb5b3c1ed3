"""SQL twins of crm.duplicates.email_key / phone_key / name_key (PostgreSQL only).

The duplicates page groups contacts by these keys in SQL (GROUP BY … HAVING count(*) BETWEEN
2 AND 20, ordered by the newest member, only the first page of groups fetched) instead of
reading every contact into Python. The functions are IMMUTABLE and PARALLEL SAFE; each
follows its Python twin step by step (tests/test_duplicates_sql.py compares them on a corpus
of Arabic, Latin, accented, Gmail and phone spellings). On SQLite crm.duplicates registers
the Python functions themselves under the same names, so nothing is created here."""

from django.db import migrations

FUNCTIONS = r"""
-- e-mail and phone are plain SQL expressions, inlined into the query that calls them
-- lower() comes last and on the parts (it is the costly call; it never makes an "@", "+"
-- or "." appear or disappear, so the result is the Python one)
CREATE OR REPLACE FUNCTION mos_dup_email_key_of(e text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
  SELECT CASE
    WHEN strpos(e, '@') = 0 THEN ''
    WHEN lower(substr(e, strpos(e, '@') + 1)) IN ('gmail.com', 'googlemail.com')
      THEN lower(replace(split_part(split_part(e, '@', 1), '+', 1), '.', '')) || '@gmail.com'
    ELSE lower(split_part(split_part(e, '@', 1), '+', 1) || substr(e, strpos(e, '@'))) END
$f$;

CREATE OR REPLACE FUNCTION mos_dup_email_key(email text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
  SELECT mos_dup_email_key_of(btrim(coalesce(email, ''), E' \t\n\r\f\v\u00a0'))
$f$;

CREATE OR REPLACE FUNCTION mos_dup_phone_key_of(d text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
  SELECT CASE WHEN length(d) >= 8 THEN right(d, 9) ELSE '' END
$f$;

CREATE OR REPLACE FUNCTION mos_dup_phone_key(phone text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
  SELECT mos_dup_phone_key_of(
    regexp_replace(coalesce(phone, ''), '[^0-9\u0660-\u0669\u06f0-\u06f9]', '', 'g'))
$f$;

CREATE OR REPLACE FUNCTION mos_dup_name_key(name text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $f$
DECLARE
  w text;
  words text[] := '{}';
  n int := 0;
  key text;
BEGIN
  -- crm.duplicates.normalise_arabic, then its words (_WORD): the runs of letters
  FOREACH w IN ARRAY regexp_split_to_array(
      translate(regexp_replace(coalesce(name, ''),
                               '[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]', '', 'g'),
                'أإآٱىئؤةء', 'ااااييوه'),
      '[^[:alpha:]]+') LOOP
    IF w = '' OR lower(w) IN ('al', 'el') THEN CONTINUE; END IF;
    IF w ~ '[\u0600-\u06ff]' THEN
      -- _AR_LATIN: two-letter sounds, then dropped letters, then one-letter sounds
      w := replace(replace(replace(replace(w, 'خ', 'kh'), 'ش', 'sh'), 'غ', 'gh'), 'چ', 'ch');
      w := translate(w, 'بتثجحدذرزسصضطظفقكلمنهپگڤاعوي', 'bttjhdzrzssdtzfkklmnhpgv');
    ELSE
      w := lower(w);
      IF w !~ '^[a-z]*$' THEN
        w := regexp_replace(normalize(w, NFKD),
                            '[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]',
                            '', 'g');
      END IF;
      -- _LATIN_FOLD, in its order
      w := replace(replace(replace(replace(replace(w, 'th', 't'), 'dh', 'z'), 'ph', 'f'),
                           'ou', 'u'), 'ck', 'k');
      w := translate(replace(replace(replace(w, 'q', 'k'), 'c', 'k'), 'x', 'ks'),
                     'eaiouyw''`’', '');
    END IF;
    w := regexp_replace(w, '(.)\1+', '\1', 'g');
    IF w = '' THEN CONTINUE; END IF;
    IF left(w, 1) = 'l' AND length(w) >= 4 THEN w := substr(w, 2); END IF;
    n := n + 1;
    words[n] := w;
  END LOOP;
  IF n < 2 THEN RETURN ''; END IF;
  IF n = 2 THEN
    key := CASE WHEN words[1] COLLATE "C" <= words[2] COLLATE "C"
                THEN words[1] || ' ' || words[2] ELSE words[2] || ' ' || words[1] END;
  ELSE
    key := array_to_string(ARRAY(SELECT x FROM unnest(words) AS x ORDER BY x COLLATE "C"), ' ');
  END IF;
  RETURN CASE WHEN length(key) - n + 1 >= 3 THEN key ELSE '' END;
END
$f$;
"""

DROP = """
DROP FUNCTION IF EXISTS mos_dup_email_key(text);
DROP FUNCTION IF EXISTS mos_dup_email_key_of(text);
DROP FUNCTION IF EXISTS mos_dup_phone_key(text);
DROP FUNCTION IF EXISTS mos_dup_phone_key_of(text);
DROP FUNCTION IF EXISTS mos_dup_name_key(text);
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTIONS)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("crm", "0023_search_statistics_default")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
