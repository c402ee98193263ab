-- One phone key for customers, contacts and leads (`normalisePhone`): a mainland prefix (+86, 0086, 86 before
-- an 11-digit mobile) is dropped and a landline written with +86 gets its trunk 0 back, so `+86 138…`,
-- `138-…` and `0086 138…` match each other in duplicate checks and lead → customer matches.
UPDATE "crm_customers" AS t SET "phone" = k.key
FROM (
  SELECT id, CASE WHEN n = '' OR n ~ '^1[3-9][0-9]{9}$' OR n LIKE '0%' THEN n ELSE '0' || n END AS key
  FROM (
    SELECT id, replace(CASE WHEN p LIKE '+86%' THEN substr(p, 4) WHEN p LIKE '0086%' THEN substr(p, 5) ELSE substr(p, 3) END, '+', '') AS n
    FROM (SELECT id, regexp_replace("phone", '[^0-9+]', '', 'g') AS p FROM "crm_customers" WHERE "phone" IS NOT NULL) s
    WHERE p LIKE '+86%' OR p LIKE '0086%' OR p ~ '^861[3-9][0-9]{9}$'
  ) s2
) k
WHERE t.id = k.id;
--> statement-breakpoint
UPDATE "crm_contacts" AS t SET "phone" = k.key
FROM (
  SELECT id, CASE WHEN n = '' OR n ~ '^1[3-9][0-9]{9}$' OR n LIKE '0%' THEN n ELSE '0' || n END AS key
  FROM (
    SELECT id, replace(CASE WHEN p LIKE '+86%' THEN substr(p, 4) WHEN p LIKE '0086%' THEN substr(p, 5) ELSE substr(p, 3) END, '+', '') AS n
    FROM (SELECT id, regexp_replace("phone", '[^0-9+]', '', 'g') AS p FROM "crm_contacts" WHERE "phone" IS NOT NULL) s
    WHERE p LIKE '+86%' OR p LIKE '0086%' OR p ~ '^861[3-9][0-9]{9}$'
  ) s2
) k
WHERE t.id = k.id;
--> statement-breakpoint
-- Leads already dropped the prefix; a landline written with +86/0086 gets its trunk 0 (and is then valid).
UPDATE "crm_leads" SET "phone" = '0' || "phone", "phone_valid" = ('0' || "phone") ~ '^0[0-9]{9,11}$'
WHERE "phone" IS NOT NULL
  AND "phone" !~ '^(0|\+|1[3-9][0-9]{9}$)'
  AND regexp_replace(coalesce("phone_raw", ''), '[^0-9+]', '', 'g') ~ '^(\+86|0086)';
