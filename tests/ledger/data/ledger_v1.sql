BEGIN TRANSACTION;
CREATE TABLE outcomes (
	outcome_id VARCHAR(36) NOT NULL, 
	run_id VARCHAR(36) NOT NULL, 
	recorded_at TEXT NOT NULL, 
	verdict TEXT NOT NULL, 
	source TEXT NOT NULL, 
	"by" TEXT, 
	comment TEXT, 
	correction_json TEXT, 
	correction_digest TEXT, 
	diff_json TEXT, 
	overrides VARCHAR(36), 
	PRIMARY KEY (outcome_id), 
	FOREIGN KEY(run_id) REFERENCES runs (run_id), 
	FOREIGN KEY(overrides) REFERENCES outcomes (outcome_id)
);
INSERT INTO "outcomes" VALUES('0190d6a0-0000-7000-8000-0000000000a1','0190d6a0-0000-7000-8000-000000000000','2026-11-02T09:00:00.000Z','accepted','human','alice',NULL,NULL,NULL,NULL,NULL);
CREATE TABLE runs (
	run_id VARCHAR(36) NOT NULL, 
	started_at TEXT NOT NULL, 
	ended_at TEXT NOT NULL, 
	latency_ms FLOAT NOT NULL, 
	routine TEXT NOT NULL, 
	version INTEGER NOT NULL, 
	"case" TEXT, 
	mode TEXT NOT NULL, 
	entry_hash TEXT NOT NULL, 
	lock_digest TEXT, 
	git_commit TEXT, 
	model_alias TEXT NOT NULL, 
	model_snapshot TEXT NOT NULL, 
	served_model TEXT, 
	params_digest TEXT NOT NULL, 
	request_hash TEXT, 
	input_digest TEXT, 
	output_digest TEXT, 
	output_schema_hash TEXT NOT NULL, 
	output_valid BOOLEAN NOT NULL, 
	status TEXT NOT NULL, 
	error_code TEXT, 
	error_class TEXT, 
	error_message TEXT, 
	stop_reason TEXT, 
	response_id TEXT, 
	request_id TEXT, 
	input_tokens INTEGER, 
	output_tokens INTEGER, 
	cache_read_tokens INTEGER, 
	cache_write_tokens INTEGER, 
	invoker TEXT NOT NULL, 
	invoker_user TEXT, 
	invoker_job TEXT, 
	invoker_run TEXT, 
	invoker_repository TEXT, 
	content TEXT NOT NULL, 
	input_json TEXT, 
	output_json TEXT, 
	content_truncated BOOLEAN NOT NULL, 
	routinec_version TEXT NOT NULL, 
	PRIMARY KEY (run_id)
);
INSERT INTO "runs" VALUES('0190d6a0-0000-7000-8000-000000000000','2026-11-01T08:00:00.000Z','2026-11-01T08:00:01.000Z',12.5,'summarize_pr',1,'c0','live','sha256:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee','sha256:llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll',NULL,'claude-haiku-4-5','claude-haiku-4-5-20251001','claude-haiku-4-5-20251001','sha256:pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp','sha256:rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr','sha256:iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii','sha256:oooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo','sha256:ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss',1,'ok',NULL,NULL,NULL,'end_turn','msg_x','req_x',120,40,0,0,'local','bench',NULL,NULL,NULL,'redacted','{"diff":"-a\n+b","title":"Fix"}','{"risk":"low","summary":"s"}',0,'0.1.0');
INSERT INTO "runs" VALUES('0190d6a0-0000-7000-8000-000000000001','2026-11-02T08:00:00.000Z','2026-11-02T08:00:01.000Z',12.5,'summarize_pr',2,'c1','live','sha256:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee','sha256:llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll',NULL,'claude-haiku-4-5','claude-haiku-4-5-20251001','claude-haiku-4-5-20251001','sha256:pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp','sha256:rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr','sha256:iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii','sha256:oooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo','sha256:ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss',1,'ok',NULL,NULL,NULL,'end_turn','msg_x','req_x',120,40,0,0,'local','bench',NULL,NULL,NULL,'redacted','{"diff":"-a\n+b","title":"Fix"}','{"risk":"low","summary":"s"}',0,'0.1.0');
INSERT INTO "runs" VALUES('0190d6a0-0000-7000-8000-000000000002','2026-11-03T08:00:00.000Z','2026-11-03T08:00:01.000Z',12.5,'summarize_pr',1,'c2','live','sha256:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee','sha256:llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll',NULL,'claude-haiku-4-5','claude-haiku-4-5-20251001','claude-haiku-4-5-20251001','sha256:pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp','sha256:rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr','sha256:iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii','sha256:oooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo','sha256:ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss',1,'ok',NULL,NULL,NULL,'end_turn','msg_x','req_x',120,40,0,0,'local','bench',NULL,NULL,NULL,'redacted','{"diff":"-a\n+b","title":"Fix"}','{"risk":"low","summary":"s"}',0,'0.1.0');
CREATE TABLE schema_version (
	version INTEGER NOT NULL, 
	applied_at TEXT NOT NULL, 
	routinec_version TEXT NOT NULL, 
	PRIMARY KEY (version)
);
INSERT INTO "schema_version" VALUES(1,'2026-11-01T00:00:00.000Z','0.1.0');
CREATE INDEX ix_runs_status_started ON runs (status, started_at);
CREATE INDEX ix_runs_started ON runs (started_at);
CREATE INDEX ix_runs_routine_version_started ON runs (routine, version, started_at);
CREATE INDEX ix_outcomes_run ON outcomes (run_id, recorded_at);
CREATE INDEX ix_outcomes_overrides ON outcomes (overrides);
COMMIT;
