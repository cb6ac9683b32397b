-- A device's management endpoint (scheme, lower-case host, port with the default made explicit, FortiOS VDOM)
-- as one key, unique: two records of one firewall would each plan against the same managed objects and delete
-- the other's rules. The service computes the key (apps/api/src/inventory/checks/endpoint.ts); this backfill
-- mirrors it for the URLs the API accepts. Where existing records already share an endpoint, only the oldest
-- gets the key; the others stay NULL (allowed by the unique index) and are listed by GET /api/v1/inventory/checks
-- as DEVICE_ENDPOINT_DUPLICATE until one record is removed or re-pointed.

-- AlterTable
ALTER TABLE "devices" ADD COLUMN "endpoint_key" TEXT;

WITH parsed AS (
    SELECT "id", "created_at", "vdom",
        regexp_match("management_url", '^([A-Za-z][A-Za-z0-9+.-]*)://(?:[^@/?#]*@)?(\[[^]]*\]|[^:/?#]*)(?::([0-9]*))?') AS m
    FROM "devices"
), keyed AS (
    SELECT "id", "created_at",
        lower(m[1]) || '://' || rtrim(lower(m[2]), '.') || ':' ||
        coalesce(
            nullif(ltrim(m[3], '0'), ''),
            CASE lower(m[1]) WHEN 'https' THEN '443' WHEN 'http' THEN '80' ELSE '' END
        ) ||
        coalesce('#vdom=' || "vdom", '') AS "key"
    FROM parsed
    WHERE m IS NOT NULL
), ranked AS (
    SELECT "id", "key", row_number() OVER (PARTITION BY "key" ORDER BY "created_at", "id") AS n
    FROM keyed
)
UPDATE "devices" AS d SET "endpoint_key" = r."key" FROM ranked AS r WHERE d."id" = r."id" AND r.n = 1;

-- CreateIndex
CREATE UNIQUE INDEX "devices_endpoint_key_key" ON "devices"("endpoint_key");
