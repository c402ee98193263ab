-- Custom SQL migration file, put your code below! --
-- Trigram index for 3+ character customer search (name, pinyin, initials, phones, contact names).
-- pg_trgm is created by migrateDatabase (PostgreSQL and PGlite alike).
CREATE INDEX IF NOT EXISTS "crm_customers_search_trgm_idx" ON "crm_customers" USING gin ("search_text" gin_trgm_ops);
