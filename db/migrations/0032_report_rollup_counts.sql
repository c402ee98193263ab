ALTER TABLE "report_person_daily" ADD COLUMN "contracts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "report_person_daily" ADD COLUMN "payments" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- The person-day rollup also counts contracts that took effect and payments received, so a person whose
-- only contract (or payment) is for 0 shows in the reports as the raw counts show them. The functions below
-- replace those of the rollup's trigger migration with the two counts added at the end of each fact row.
CREATE OR REPLACE FUNCTION report_person_facts(src text, rel text, s int) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  zone text := format(' join (select t, report_zone(t) as zone from (select distinct tenant_id as t from %s q) d) z on z.t = x.tenant_id', rel);
BEGIN
  IF src = 'crm_customers' THEN
    RETURN format('select x.tenant_id, coalesce(x.owner_id, '''') as user_id, (x.created_at at time zone z.zone)::date as day,
      %s as customers, 0 as opportunities, 0 as visits, 0 as visits_flagged, 0 as visits_timed, 0::numeric as visit_seconds,
      0 as follow_ups, 0::bigint as contract_cents, 0::bigint as payment_cents, 0 as contracts, 0 as payments
      from %s x', s, rel) || zone;
  ELSIF src = 'sales_opportunities' THEN
    RETURN format('select x.tenant_id, coalesce(x.owner_id, ''''), (x.created_at at time zone z.zone)::date,
      0, %s, 0, 0, 0, 0::numeric, 0, 0::bigint, 0::bigint, 0, 0 from %s x', s, rel) || zone;
  ELSIF src = 'crm_visits' THEN
    RETURN format('select x.tenant_id, coalesce(x.user_id, ''''), (x.check_in_at at time zone z.zone)::date,
      0, 0, %1$s, %1$s * x.check_in_flagged::int, %1$s * (x.check_out_at is not null)::int,
      %1$s * coalesce(extract(epoch from x.check_out_at - x.check_in_at), 0), 0, 0::bigint, 0::bigint, 0, 0
      from %2$s x', s, rel) || zone || ' where x.check_in_at is not null';
  ELSIF src = 'crm_follow_ups' THEN
    RETURN format('select x.tenant_id, coalesce(x.author_id, ''''), (x.created_at at time zone z.zone)::date,
      0, 0, 0, 0, 0, 0::numeric, %s, 0::bigint, 0::bigint, 0, 0 from %s x', s, rel) || zone;
  ELSIF src = 'sales_contracts' THEN
    RETURN format('select x.tenant_id, coalesce(x.owner_id, ''''), (x.activated_at at time zone z.zone)::date,
      0, 0, 0, 0, 0, 0::numeric, 0, %1$s * x.amount_cents, 0::bigint, %1$s, 0 from %2$s x', s, rel) || zone
      || ' where x.activated_at is not null';
  ELSIF src = 'sales_payments' THEN
    RETURN format('select x.tenant_id, c.owner_id, x.received_on,
      0, 0, 0, 0, 0, 0::numeric, 0, 0::bigint, %1$s * x.amount_cents, 0, %1$s from %2$s x
      join sales_contracts c on c.tenant_id = x.tenant_id and c.id = x.contract_id', s, rel);
  ELSIF src = 'contract_payments' THEN
    -- A contract's payments credited to its owner in `rel` (an owner transfer moves them).
    RETURN format('select x.tenant_id, coalesce(x.owner_id, ''''), p.received_on,
      0, 0, 0, 0, 0, 0::numeric, 0, 0::bigint, %1$s * p.amount_cents, 0, %1$s from %2$s x
      join sales_payments p on p.tenant_id = x.tenant_id and p.contract_id = x.id', s, rel);
  END IF;
  RAISE EXCEPTION 'report_person_facts: unknown source %', src;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION report_person_add(parts text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN 'insert into report_person_daily as r (tenant_id, user_id, day, customers, opportunities, visits,
      visits_flagged, visits_timed, visit_seconds, follow_ups, contract_cents, payment_cents, contracts, payments)
    select tenant_id, user_id, day, sum(customers), sum(opportunities), sum(visits), sum(visits_flagged),
      sum(visits_timed), sum(visit_seconds), sum(follow_ups), sum(contract_cents), sum(payment_cents),
      sum(contracts), sum(payments)
    from (' || parts || ') d (tenant_id, user_id, day, customers, opportunities, visits, visits_flagged,
      visits_timed, visit_seconds, follow_ups, contract_cents, payment_cents, contracts, payments)
    group by 1, 2, 3
    having sum(customers) <> 0 or sum(opportunities) <> 0 or sum(visits) <> 0 or sum(visits_flagged) <> 0
      or sum(visits_timed) <> 0 or sum(visit_seconds) <> 0 or sum(follow_ups) <> 0
      or sum(contract_cents) <> 0 or sum(payment_cents) <> 0 or sum(contracts) <> 0 or sum(payments) <> 0
    order by 1, 2, 3
    on conflict (tenant_id, user_id, day) do update set
      customers = r.customers + excluded.customers,
      opportunities = r.opportunities + excluded.opportunities,
      visits = r.visits + excluded.visits,
      visits_flagged = r.visits_flagged + excluded.visits_flagged,
      visits_timed = r.visits_timed + excluded.visits_timed,
      visit_seconds = r.visit_seconds + excluded.visit_seconds,
      follow_ups = r.follow_ups + excluded.follow_ups,
      contract_cents = r.contract_cents + excluded.contract_cents,
      payment_cents = r.payment_cents + excluded.payment_cents,
      contracts = r.contracts + excluded.contracts,
      payments = r.payments + excluded.payments';
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION report_person_contract_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE report_person_add(format(
    'select p.tenant_id, %L::text, p.received_on, 0, 0, 0, 0, 0, 0::numeric, 0, 0::bigint, -p.amount_cents, 0, -1
     from sales_payments p where p.tenant_id = %L and p.contract_id = %L', OLD.owner_id, OLD.tenant_id, OLD.id));
  RETURN OLD;
END $$;
--> statement-breakpoint
SELECT report_person_daily_rebuild(id) FROM tenants;
