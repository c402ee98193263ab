-- The approval timeline is append-only: history can be added to, never rewritten.
CREATE OR REPLACE FUNCTION approval_timeline_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'approval_timeline is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER approval_timeline_no_update BEFORE UPDATE OR DELETE ON approval_timeline
  FOR EACH ROW EXECUTE FUNCTION approval_timeline_append_only();
