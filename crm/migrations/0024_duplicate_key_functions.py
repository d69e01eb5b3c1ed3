"""SQL twins of crm.duplicates.email_key / phone_key / name_key (PostgreSQL only).

The duplicates page groups contacts by these keys in SQL (GROUP BY … HAVING count(*) BETWEEN
2 AND 20, ordered by the newest member, only the first page of groups fetched) instead of
reading every contact into Python. The functions are IMMUTABLE and PARALLEL SAFE; each
follows its Python twin step by step (tests/test_duplicates_sql.py compares them on a corpus
of Arabic, Latin, accented, Gmail and phone spellings). On SQLite crm.duplicates registers
the Python functions themselves under the same names, so nothing is created here."""

from django.db import migrations

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION mos_dup_email_key(email text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $f$
DECLARE
  e text := lower(btrim(coalesce(email, ''), E' \t\n\r\f\v\u00a0'));
  at int := strpos(e, '@');
  local text;
  domain text;
BEGIN
  IF at = 0 THEN RETURN ''; END IF;
  local := split_part(left(e, at - 1), '+', 1);
  domain := substr(e, at + 1);
  IF domain IN ('gmail.com', 'googlemail.com') THEN
    local := replace(local, '.', '');
    domain := 'gmail.com';
  END IF;
  RETURN local || '@' || domain;
END
$f$;

CREATE OR REPLACE FUNCTION mos_dup_phone_key(phone text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $f$
DECLARE
  d text := regexp_replace(coalesce(phone, ''), '[^0-9\u0660-\u0669\u06f0-\u06f9]', '', 'g');
BEGIN
  RETURN CASE WHEN length(d) >= 8 THEN right(d, 9) ELSE '' END;
END
$f$;

CREATE OR REPLACE FUNCTION mos_dup_name_key(name text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $f$
DECLARE
  s text;
  w text;
  words text[] := '{}';
  key text;
BEGIN
  -- crm.duplicates.normalise_arabic
  s := translate(regexp_replace(coalesce(name, ''),
                                '[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]', '', 'g'),
                 'أإآٱىئؤةء', 'ااااييوه');
  FOR w IN SELECT m[1] FROM regexp_matches(s, '([[:alpha:]]+)', 'g') AS m LOOP
    IF lower(w) IN ('al', 'el') THEN CONTINUE; END IF;
    IF w ~ '[\u0600-\u06ff]' THEN
      -- _AR_LATIN: two-letter sounds, then dropped letters, then one-letter sounds
      w := replace(replace(replace(replace(w, 'خ', 'kh'), 'ش', 'sh'), 'غ', 'gh'), 'چ', 'ch');
      w := translate(w, 'اعوي', '');
      w := translate(w, 'بتثجحدذرزسصضطظفقكلمنهپگڤ', 'bttjhdzrzssdtzfkklmnhpgv');
    ELSE
      w := regexp_replace(normalize(lower(w), NFKD),
                          '[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]',
                          '', 'g');
      -- _LATIN_FOLD, in its order
      w := replace(replace(replace(replace(replace(w, 'th', 't'), 'dh', 'z'), 'ph', 'f'),
                           'ou', 'u'), 'ck', 'k');
      w := replace(replace(replace(w, 'q', 'k'), 'c', 'k'), 'x', 'ks');
      w := translate(w, 'eaiouyw''`’', '');
    END IF;
    w := regexp_replace(w, '(.)\1+', '\1', 'g');
    IF w = '' THEN CONTINUE; END IF;
    IF left(w, 1) = 'l' AND length(w) >= 4 THEN w := substr(w, 2); END IF;
    words := words || w;
  END LOOP;
  IF coalesce(array_length(words, 1), 0) < 2 THEN RETURN ''; END IF;
  SELECT string_agg(x, ' ' ORDER BY x COLLATE "C") INTO key FROM unnest(words) AS x;
  RETURN CASE WHEN length(replace(key, ' ', '')) >= 3 THEN key ELSE '' END;
END
$f$;
"""

DROP = """
DROP FUNCTION IF EXISTS mos_dup_email_key(text);
DROP FUNCTION IF EXISTS mos_dup_phone_key(text);
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
