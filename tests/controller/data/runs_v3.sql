-- A schema-3 run store, made by mfg-ctl at commit 52e5490 (the parent of the first commit with
-- schema 4, which adds step units and sweep readings): in a git worktree of that commit with its
-- own venv, MFG_CTL_DB=runs.db mfg-ctl tempco --temperatures 0,25,85 --readings 3 (passed), then
-- mfg-ctl run plans/station_bringup.yaml (passed), then
-- python3 -c "import sqlite3; print(*sqlite3.connect('runs.db').iterdump(), sep='\n')".
BEGIN TRANSACTION;
CREATE TABLE batches (
	id VARCHAR(64) NOT NULL, 
	station_id VARCHAR(64) NOT NULL, 
	stage VARCHAR(64) NOT NULL, 
	operator VARCHAR(128) NOT NULL, 
	plan_name VARCHAR(255) NOT NULL, 
	plan_path TEXT NOT NULL, 
	plan_text TEXT NOT NULL, 
	plan_hash VARCHAR(64) NOT NULL, 
	sns JSON NOT NULL, 
	options JSON NOT NULL, 
	artifacts_dir TEXT, 
	status VARCHAR(16) NOT NULL, 
	started_at DATETIME NOT NULL, 
	finished_at DATETIME, 
	host VARCHAR(255) NOT NULL, 
	pid INTEGER NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE devices (
	id INTEGER NOT NULL, 
	run_id VARCHAR(64) NOT NULL, 
	name TEXT NOT NULL, 
	host TEXT NOT NULL, 
	port INTEGER NOT NULL, 
	framing VARCHAR(32) NOT NULL, 
	unit INTEGER NOT NULL, 
	simulated BOOLEAN NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(run_id) REFERENCES test_runs (id) ON DELETE CASCADE
);
INSERT INTO "devices" VALUES(1,'c0c2ca5e71c54a35a73ce3e0fde29565','chamber','127.0.0.1',37219,'scpi',1,1);
INSERT INTO "devices" VALUES(2,'c0c2ca5e71c54a35a73ce3e0fde29565','psu','127.0.0.1',43599,'scpi',1,1);
INSERT INTO "devices" VALUES(3,'c0c2ca5e71c54a35a73ce3e0fde29565','dmm','127.0.0.1',46783,'scpi',1,1);
INSERT INTO "devices" VALUES(4,'2d3b2a027dae442c9040fa8dea1aca2f','power_supply','127.0.0.1',36607,'custom',1,1);
INSERT INTO "devices" VALUES(5,'2d3b2a027dae442c9040fa8dea1aca2f','actuator','127.0.0.1',37927,'custom',1,1);
INSERT INTO "devices" VALUES(6,'2d3b2a027dae442c9040fa8dea1aca2f','dmm','127.0.0.1',39457,'custom',1,1);
INSERT INTO "devices" VALUES(7,'2d3b2a027dae442c9040fa8dea1aca2f','thermocouple','127.0.0.1',41499,'custom',1,1);
CREATE TABLE mfg_ctl_schema (
	id INTEGER NOT NULL, 
	version INTEGER NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO "mfg_ctl_schema" VALUES(1,3);
CREATE TABLE step_results (
	id INTEGER NOT NULL, 
	run_id VARCHAR(64) NOT NULL, 
	number INTEGER NOT NULL, 
	name TEXT NOT NULL, 
	device TEXT NOT NULL, 
	register TEXT NOT NULL, 
	action VARCHAR(16) NOT NULL, 
	verdict VARCHAR(16) NOT NULL, 
	detail TEXT NOT NULL, 
	measured FLOAT, 
	expected FLOAT, 
	low FLOAT, 
	high FLOAT, 
	attempts INTEGER NOT NULL, 
	duration_s FLOAT NOT NULL, 
	finished_at DATETIME NOT NULL, 
	teardown BOOLEAN, 
	error_code VARCHAR(16), 
	error_codes JSON, 
	requirements JSON, 
	PRIMARY KEY (id), 
	FOREIGN KEY(run_id) REFERENCES test_runs (id) ON DELETE CASCADE
);
INSERT INTO "step_results" VALUES(1,'c0c2ca5e71c54a35a73ce3e0fde29565',1,'tempco','dmm','vout','sweep','pass','tempco 49.97 ppm/C, expected 50 +/- 5 (delta 0.03); 3 points, r^2 1.00000',4.99656276739325520006e+01,50.0,45.0,55.0,1,5.21163870000009410432e-01,'2026-11-30 06:02:58.753092',0,NULL,'[]','[]');
INSERT INTO "step_results" VALUES(2,'2d3b2a027dae442c9040fa8dea1aca2f',1,'set_supply_voltage','power_supply','voltage_setpoint','write','pass','wrote 1200 to voltage_setpoint',NULL,NULL,NULL,NULL,1,0.0128295669999261,'2026-11-30 06:03:01.954867',0,NULL,'[]','[]');
INSERT INTO "step_results" VALUES(3,'2d3b2a027dae442c9040fa8dea1aca2f',2,'set_supply_current_limit','power_supply','current_limit','write','pass','wrote 500 to current_limit',NULL,NULL,NULL,NULL,1,7.42723000030309776775e-04,'2026-11-30 06:03:01.976865',0,NULL,'[]','[]');
INSERT INTO "step_results" VALUES(4,'2d3b2a027dae442c9040fa8dea1aca2f',3,'enable_supply_output','power_supply','output_enable','write','pass','wrote 1 to output_enable',NULL,NULL,NULL,NULL,1,5.51305000044521875679e-04,'2026-11-30 06:03:01.986603',0,NULL,'[]','[]');
INSERT INTO "step_results" VALUES(5,'2d3b2a027dae442c9040fa8dea1aca2f',4,'check_supply_voltage_readback','power_supply','voltage_readback','read','pass','measured 1200, expected 1200 +/- 25 (delta 0)',1200.0,1200.0,1175.0,1225.0,1,0.000895440000022063,'2026-11-30 06:03:01.995266',0,NULL,'[]','[]');
INSERT INTO "step_results" VALUES(6,'2d3b2a027dae442c9040fa8dea1aca2f',5,'check_supply_current_readback','power_supply','current_readback','read','pass','measured 480, expected within [400, 520]',480.0,NULL,400.0,520.0,1,6.45231000021340150851e-04,'2026-11-30 06:03:02.002453',0,NULL,'[]','[]');
INSERT INTO "step_results" VALUES(7,'2d3b2a027dae442c9040fa8dea1aca2f',6,'command_actuator_position','actuator','target_position','write','pass','wrote 500 to target_position',NULL,NULL,NULL,NULL,1,3.86640299996088288025e-03,'2026-11-30 06:03:02.014275',0,NULL,'[]','[]');
INSERT INTO "step_results" VALUES(8,'2d3b2a027dae442c9040fa8dea1aca2f',7,'check_actuator_position','actuator','position','read','pass','measured 500, expected 500 +/- 10 (delta 0)',500.0,500.0,490.0,510.0,1,6.77981000080762896686e-04,'2026-11-30 06:03:02.017789',0,NULL,'[]','[]');
INSERT INTO "step_results" VALUES(9,'2d3b2a027dae442c9040fa8dea1aca2f',8,'check_actuator_status','actuator','status','read','pass','measured 1, expected 1 +/- 0 (delta 0)',1.0,1.0,1.0,1.0,1,3.53681399997185508254e-03,'2026-11-30 06:03:02.025726',0,NULL,'[]','[]');
INSERT INTO "step_results" VALUES(10,'2d3b2a027dae442c9040fa8dea1aca2f',9,'check_dmm_dc_voltage','dmm','dc_voltage','read','pass','measured 4980, expected 5000 +/- 50 (delta 20)',4980.0,5000.0,4950.0,5050.0,1,1.17800179999676402076e-02,'2026-11-30 06:03:02.046086',0,NULL,'[]','[]');
INSERT INTO "step_results" VALUES(11,'2d3b2a027dae442c9040fa8dea1aca2f',10,'check_thermocouple_channel_0','thermocouple','channel_0','read','pass','measured 2300, expected within [2200, 2400]',2300.0,NULL,2200.0,2400.0,1,1.05733639999243678175e-02,'2026-11-30 06:03:02.066248',0,NULL,'[]','[]');
INSERT INTO "step_results" VALUES(12,'2d3b2a027dae442c9040fa8dea1aca2f',11,'check_thermocouple_cold_junction','thermocouple','cold_junction','read','pass','measured 2500, expected within [2300, 2700]',2500.0,NULL,2300.0,2700.0,1,0.000493184999982077,'2026-11-30 06:03:02.074487',0,NULL,'[]','[]');
CREATE TABLE test_runs (
	id VARCHAR(64) NOT NULL, 
	plan_name VARCHAR(255) NOT NULL, 
	plan_path TEXT NOT NULL, 
	plan_text TEXT NOT NULL, 
	plan_hash VARCHAR(64), 
	devices_from TEXT, 
	framing VARCHAR(32) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	started_at DATETIME NOT NULL, 
	finished_at DATETIME, 
	duration_s FLOAT, 
	step_count INTEGER NOT NULL, 
	passed INTEGER NOT NULL, 
	failed INTEGER NOT NULL, 
	errors INTEGER NOT NULL, 
	first_failure TEXT, 
	parent_run_id VARCHAR(64), 
	selected_steps JSON NOT NULL, 
	host VARCHAR(255) NOT NULL, 
	pid INTEGER NOT NULL, 
	sn VARCHAR(64), 
	batch_id VARCHAR(64), 
	station_id VARCHAR(64), 
	stage VARCHAR(64), 
	operator VARCHAR(128), 
	plan_version VARCHAR(64), 
	skipped INTEGER, 
	stopped_by VARCHAR(16), 
	PRIMARY KEY (id), 
	FOREIGN KEY(parent_run_id) REFERENCES test_runs (id) ON DELETE SET NULL
);
INSERT INTO "test_runs" VALUES('c0c2ca5e71c54a35a73ce3e0fde29565','tempco','<mfg-ctl tempco>','name: tempco
devices:
  chamber:
    scpi: chamber
  psu:
    scpi: power_supply
  dmm:
    scpi: multimeter
steps:
- name: tempco
  timeout: 2.0
  tempco:
    chamber: chamber
    supply: psu
    meter: dmm
    temperatures:
    - 0.0
    - 25.0
    - 85.0
    expected: 50.0
    tolerance: 5.0
    readings: 3
','589d57ab61af96c5be321fecd37d4c8d8e1384b7077bb13cc7ae5da09a304f6b','simulated in-process','scpi','passed','2026-11-30 06:02:58.187172','2026-11-30 06:02:58.760318',5.73162472999911187798e-01,1,1,0,0,NULL,NULL,'[]','vm',12982,NULL,NULL,NULL,NULL,NULL,'',0,NULL);
INSERT INTO "test_runs" VALUES('2d3b2a027dae442c9040fa8dea1aca2f','station_bringup','/work/wt-sweep/plans/station_bringup.yaml','# Bring-up of the reference station (doc/reference_station.rst, "The 11-step
# bring-up").
#
# Powers the supply to 12.00 V with a 500 mA limit, checks its readbacks,
# moves the actuator to 500 and checks it arrived, then checks the DMM and
# the thermocouple reader. Values are raw register units.
#
# Run it against devices that mfg-ctl simulates itself, in-process (nothing
# to start; a fault sent to a simulator started elsewhere does not reach them):
#   mfg-ctl run plans/station_bringup.yaml
#
# Or start the reference station and run against it through its station file,
# so that the faults you inject reach the run:
#   discos-simulator -s station start
#   mfg-ctl simulate-fault dmm set dc_voltage 4000
#   mfg-ctl run plans/station_bringup.yaml --station stations/local.yaml
#   discos-simulator -s station stop
# (step 9 fails on the reading of 4000). To run side by side with other
# copies, shift every port by N: add --port-offset N to each command
# (`discos-simulator -s station --port-offset N start`, ...).
#
# Every step name, value and threshold here is part of the contract: the
# report lines in doc/reference_station.rst (and tests outside the project)
# depend on them.
name: station_bringup
description: Bring-up of the reference station

steps:
  - name: set_supply_voltage
    device: power_supply
    register: voltage_setpoint
    write: 1200                  # 12.00 V

  - name: set_supply_current_limit
    device: power_supply
    register: current_limit
    write: 500                   # mA

  - name: enable_supply_output
    device: power_supply
    register: output_enable
    write: 1

  - name: check_supply_voltage_readback
    device: power_supply
    register: voltage_readback
    expected: 1200
    tolerance: 25

  - name: check_supply_current_readback
    device: power_supply
    register: current_readback
    range: [400, 520]            # the default load draws 480 mA

  - name: command_actuator_position
    device: actuator
    register: target_position
    write: 500

  - name: check_actuator_position
    device: actuator
    register: position
    expected: 500
    tolerance: 10

  - name: check_actuator_status
    device: actuator
    register: status
    expected: 1                  # 1 = in position
    tolerance: 0

  - name: check_dmm_dc_voltage
    device: dmm
    register: dc_voltage
    expected: 5000
    tolerance: 50

  - name: check_thermocouple_channel_0
    device: thermocouple
    register: channel_0
    range: [2200, 2400]

  - name: check_thermocouple_cold_junction
    device: thermocouple
    register: cold_junction
    range: [2300, 2700]
','b7c4e9944d01b99ff87fa5ab30653dfc62ad7c384e2d1eee473febaab929bffb','simulated in-process','custom','passed','2026-11-30 06:03:01.715774','2026-11-30 06:03:02.079686',3.63931053999976938939e-01,11,11,0,0,NULL,NULL,'[]','vm',13103,NULL,NULL,NULL,NULL,'root','',0,NULL);
CREATE INDEX ix_test_runs_batch_id ON test_runs (batch_id);
CREATE INDEX ix_test_runs_station_id ON test_runs (station_id);
CREATE INDEX ix_test_runs_stage ON test_runs (stage);
CREATE INDEX ix_test_runs_plan_started ON test_runs (plan_name, started_at);
CREATE INDEX ix_test_runs_plan_hash ON test_runs (plan_hash);
CREATE INDEX ix_test_runs_sn ON test_runs (sn);
CREATE INDEX ix_test_runs_started_at ON test_runs (started_at);
CREATE INDEX ix_test_runs_parent_run_id ON test_runs (parent_run_id);
CREATE INDEX ix_test_runs_status ON test_runs (status);
CREATE INDEX ix_step_results_run_id ON step_results (run_id);
CREATE INDEX ix_devices_run_id ON devices (run_id);
COMMIT;
