-- Hand-written: ids made by the database (contacts, imported in sets) are UUID version 7, from
-- PostgreSQL 18's uuidv7(). On an older server (13 to 17) the same function is defined here: a
-- random UUID whose first 48 bits are the Unix time in milliseconds, version bits 0111, as RFC
-- 9562 lays out version 7 (without 18's sub-millisecond counter: ids made in the same
-- millisecond are not ordered among themselves). On PostgreSQL 18 and later this does nothing.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'uuidv7' AND pronargs = 0) THEN
    CREATE FUNCTION uuidv7() RETURNS uuid LANGUAGE sql VOLATILE PARALLEL SAFE AS $fn$
      SELECT encode(
        set_bit(set_bit(
          overlay(uuid_send(gen_random_uuid())
                  PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                  FROM 1 FOR 6),
          52, 1), 53, 1),
        'hex')::uuid
    $fn$;
  END IF;
END $$;
