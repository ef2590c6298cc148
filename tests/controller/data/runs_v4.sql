-- A schema-4 run store, made by mfg-ctl at commit ad2c5b0 (the last commit before the run store's
-- schema came under Alembic migrations): MFG_CTL_DB=runs.db mfg-ctl run plans/station_bringup.yaml
-- (passed), then mfg-ctl batch --plan plans/dut_functional.yaml --batch-id B-V4 --station-id ST-V4
-- --stage DVT --operator ana --sns SN0001,SN0002,SN0003 --dut-profile factory-flaky --seed 7
-- (three passed), then python3 -c "import sqlite3; print(*sqlite3.connect('runs.db').iterdump(), sep='\n')".
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
INSERT INTO "batches" VALUES('B-V4','ST-V4','DVT','ana','dut_functional','/work/main/plans/dut_functional.yaml','# Functional test of one DUT-1000 5 V supply module (the `dut` simulator,
# doc/dut.rst), run once per unit by `mfg-ctl batch` (doc/batch.rst):
#
#   mfg-ctl batch --plan plans/dut_functional.yaml --batch-id B001 \
#       --station-id ST1 --stage EVT --sns SN0001,SN0002,SN0003
#
# or for one unit: mfg-ctl run plans/dut_functional.yaml --sn SN0001
#
# Every step names the requirements it verifies (traceability/requirements.yaml);
# the coverage matrix of a run folder shows which requirement passed. A device
# fault (ERR E2xx) is retried twice; a unit whose output never switches on is
# not measured further (on_exhausted: skip-rest).
name: dut_functional
version: "1.0"
description: Functional test of the DUT-1000 5 V supply module
requirements: ../traceability/requirements.yaml

defaults:
  timeout: 1.0
  retries: 2
  retry_delay: 0.0
  on_exhausted: continue

devices:
  dut: {line: dut}

steps:
  - name: power_on
    device: dut
    send: "POWER ON"
    on_exhausted: skip-rest
    requirements: [REQ-PWR-001]

  - name: output_is_on
    device: dut
    ask: "POWER?"
    match: "ON"
    on_exhausted: skip-rest
    requirements: [REQ-PWR-001]

  - name: identify
    device: dut
    ask: "*IDN?"
    match: "DUT-1000"
    requirements: [REQ-ID-001]

  - name: vout_no_load
    device: dut
    ask: "MEAS:VOLT?"
    expected: 5.0
    tolerance: 0.04
    unit: V
    requirements: [REQ-VOUT-001]

  - name: load_1a
    device: dut
    send: "LOAD 1.0"

  - name: vout_1a
    device: dut
    ask: "MEAS:VOLT?"
    range: [4.90, 5.00]
    unit: V
    requirements: [REQ-VOUT-002]

  - name: iout_1a
    device: dut
    ask: "MEAS:CURR?"
    expected: 1.0
    tolerance_pct: 2
    unit: A
    requirements: [REQ-IOUT-001]

  - name: load_half
    device: dut
    send: "LOAD 0.5"

  - name: temperature_half_load
    device: dut
    ask: "MEAS:TEMP?"
    range: [25, 50]
    unit: C
    requirements: [REQ-TEMP-001]

teardown:
  - name: load_off
    device: dut
    send: "LOAD 0"

  - name: power_off
    device: dut
    send: "POWER OFF"
    requirements: [REQ-PWR-001]
','11220af0e5ff0153458607d33ca688c825a4cfeafd78d806dd6d08fc3dbe6d0b','["SN0001", "SN0002", "SN0003"]','{"run_id": "435bc396dd9c4ccfb74e0704d7626c7d", "parallel": 1, "dut_profile": "factory-flaky", "seed": 7}','/tmp/v4dump/art/435bc396dd9c4ccfb74e0704d7626c7d','finished','2026-11-30 11:31:11.367514','2026-11-30 11:31:11.662496','vm',5918);
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
INSERT INTO "devices" VALUES(1,'55cf75edf2b3408ca0c544b48e56d7a2','power_supply','127.0.0.1',35029,'custom',1,1);
INSERT INTO "devices" VALUES(2,'55cf75edf2b3408ca0c544b48e56d7a2','actuator','127.0.0.1',38185,'custom',1,1);
INSERT INTO "devices" VALUES(3,'55cf75edf2b3408ca0c544b48e56d7a2','dmm','127.0.0.1',38125,'custom',1,1);
INSERT INTO "devices" VALUES(4,'55cf75edf2b3408ca0c544b48e56d7a2','thermocouple','127.0.0.1',33047,'custom',1,1);
INSERT INTO "devices" VALUES(5,'6dfc782f6ae94db1ad195fd86703a5dd','dut','127.0.0.1',42615,'line',1,1);
INSERT INTO "devices" VALUES(6,'74fe86c444c64a859c48dccb35dab6d7','dut','127.0.0.1',42615,'line',1,1);
INSERT INTO "devices" VALUES(7,'59c8e0548b034afcaec006d9c2fc3778','dut','127.0.0.1',42615,'line',1,1);
CREATE TABLE mfg_ctl_schema (
	id INTEGER NOT NULL, 
	version INTEGER NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO "mfg_ctl_schema" VALUES(1,4);
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
	unit VARCHAR(32), 
	PRIMARY KEY (id), 
	FOREIGN KEY(run_id) REFERENCES test_runs (id) ON DELETE CASCADE
);
INSERT INTO "step_results" VALUES(1,'55cf75edf2b3408ca0c544b48e56d7a2',1,'set_supply_voltage','power_supply','voltage_setpoint','write','pass','wrote 1200 to voltage_setpoint',NULL,NULL,NULL,NULL,1,7.13896099998123645491e-03,'2026-11-30 11:31:02.941230',0,NULL,'[]','[]',NULL);
INSERT INTO "step_results" VALUES(2,'55cf75edf2b3408ca0c544b48e56d7a2',2,'set_supply_current_limit','power_supply','current_limit','write','pass','wrote 500 to current_limit',NULL,NULL,NULL,NULL,1,5.6728499998826009687e-04,'2026-11-30 11:31:02.946672',0,NULL,'[]','[]',NULL);
INSERT INTO "step_results" VALUES(3,'55cf75edf2b3408ca0c544b48e56d7a2',3,'enable_supply_output','power_supply','output_enable','write','pass','wrote 1 to output_enable',NULL,NULL,NULL,NULL,1,6.04299999992008451954e-04,'2026-11-30 11:31:02.951292',0,NULL,'[]','[]',NULL);
INSERT INTO "step_results" VALUES(4,'55cf75edf2b3408ca0c544b48e56d7a2',4,'check_supply_voltage_readback','power_supply','voltage_readback','read','pass','measured 1200, expected 1200 +/- 25 (delta 0)',1200.0,1200.0,1175.0,1225.0,1,0.000584549999985029,'2026-11-30 11:31:02.954306',0,NULL,'[]','[]',NULL);
INSERT INTO "step_results" VALUES(5,'55cf75edf2b3408ca0c544b48e56d7a2',5,'check_supply_current_readback','power_supply','current_readback','read','pass','measured 480, expected within [400, 520]',480.0,NULL,400.0,520.0,1,1.48948899999368222779e-03,'2026-11-30 11:31:02.957714',0,NULL,'[]','[]',NULL);
INSERT INTO "step_results" VALUES(6,'55cf75edf2b3408ca0c544b48e56d7a2',6,'command_actuator_position','actuator','target_position','write','pass','wrote 500 to target_position',NULL,NULL,NULL,NULL,1,1.92814199999702395871e-03,'2026-11-30 11:31:02.962589',0,NULL,'[]','[]',NULL);
INSERT INTO "step_results" VALUES(7,'55cf75edf2b3408ca0c544b48e56d7a2',7,'check_actuator_position','actuator','position','read','pass','measured 500, expected 500 +/- 10 (delta 0)',500.0,500.0,490.0,510.0,1,6.25831999997217280906e-04,'2026-11-30 11:31:02.966104',0,NULL,'[]','[]',NULL);
INSERT INTO "step_results" VALUES(8,'55cf75edf2b3408ca0c544b48e56d7a2',8,'check_actuator_status','actuator','status','read','pass','measured 1, expected 1 +/- 0 (delta 0)',1.0,1.0,1.0,1.0,1,5.7533700001499710197e-04,'2026-11-30 11:31:02.968076',0,NULL,'[]','[]',NULL);
INSERT INTO "step_results" VALUES(9,'55cf75edf2b3408ca0c544b48e56d7a2',9,'check_dmm_dc_voltage','dmm','dc_voltage','read','pass','measured 4980, expected 5000 +/- 50 (delta 20)',4980.0,5000.0,4950.0,5050.0,1,1.11324700000636767072e-03,'2026-11-30 11:31:02.970727',0,NULL,'[]','[]',NULL);
INSERT INTO "step_results" VALUES(10,'55cf75edf2b3408ca0c544b48e56d7a2',10,'check_thermocouple_channel_0','thermocouple','channel_0','read','pass','measured 2300, expected within [2200, 2400]',2300.0,NULL,2200.0,2400.0,1,8.95152999987658404279e-04,'2026-11-30 11:31:02.973891',0,NULL,'[]','[]',NULL);
INSERT INTO "step_results" VALUES(11,'55cf75edf2b3408ca0c544b48e56d7a2',11,'check_thermocouple_cold_junction','thermocouple','cold_junction','read','pass','measured 2500, expected within [2300, 2700]',2500.0,NULL,2300.0,2700.0,1,2.02472000012221542419e-04,'2026-11-30 11:31:02.976294',0,NULL,'[]','[]',NULL);
INSERT INTO "step_results" VALUES(12,'6dfc782f6ae94db1ad195fd86703a5dd',1,'power_on','dut','POWER ON','send','pass','sent POWER ON',NULL,NULL,NULL,NULL,1,1.81736600001158876693e-03,'2026-11-30 11:31:11.563047',0,NULL,'[]','["REQ-PWR-001"]',NULL);
INSERT INTO "step_results" VALUES(13,'6dfc782f6ae94db1ad195fd86703a5dd',2,'output_is_on','dut','POWER?','ask','pass','replied ''ON'', which contains ''ON''',NULL,NULL,NULL,NULL,1,1.97894999985237518558e-04,'2026-11-30 11:31:11.563293',0,NULL,'[]','["REQ-PWR-001"]',NULL);
INSERT INTO "step_results" VALUES(14,'6dfc782f6ae94db1ad195fd86703a5dd',3,'identify','dut','*IDN?','ask','pass','replied ''SIMULATORS,DUT-1000,SN0001,1.0'', which contains ''DUT-1000''',NULL,NULL,NULL,NULL,1,1.55672000005324662197e-04,'2026-11-30 11:31:11.563462',0,NULL,'[]','["REQ-ID-001"]',NULL);
INSERT INTO "step_results" VALUES(15,'6dfc782f6ae94db1ad195fd86703a5dd',4,'vout_no_load','dut','MEAS:VOLT?','ask','pass','measured 4.9894, expected 5 +/- 0.04 (delta 0.0106)',4.9894,5.0,4.96,5.04,1,2.31665000001157750375e-04,'2026-11-30 11:31:11.563704',0,NULL,'[]','["REQ-VOUT-001"]','V');
INSERT INTO "step_results" VALUES(16,'6dfc782f6ae94db1ad195fd86703a5dd',5,'load_1a','dut','LOAD 1.0','send','pass','sent LOAD 1.0',NULL,NULL,NULL,NULL,1,1.35791999980483524268e-04,'2026-11-30 11:31:11.563850',0,NULL,'[]','[]',NULL);
INSERT INTO "step_results" VALUES(17,'6dfc782f6ae94db1ad195fd86703a5dd',6,'vout_1a','dut','MEAS:VOLT?','ask','pass','measured 4.9401, expected within [4.9, 5]',4.9401,NULL,4.9,5.0,1,2.20278000000462270691e-04,'2026-11-30 11:31:11.564081',0,NULL,'[]','["REQ-VOUT-002"]','V');
INSERT INTO "step_results" VALUES(18,'6dfc782f6ae94db1ad195fd86703a5dd',7,'iout_1a','dut','MEAS:CURR?','ask','pass','measured 0.9993, expected 1 +/- 2% (delta 0.0007)',0.9993,1.0,0.98,1.02,1,3.40917999977818908519e-04,'2026-11-30 11:31:11.564432',0,NULL,'[]','["REQ-IOUT-001"]','A');
INSERT INTO "step_results" VALUES(19,'6dfc782f6ae94db1ad195fd86703a5dd',8,'load_half','dut','LOAD 0.5','send','pass','sent LOAD 0.5',NULL,NULL,NULL,NULL,1,1.23444000024619526811e-04,'2026-11-30 11:31:11.564594',0,NULL,'[]','[]',NULL);
INSERT INTO "step_results" VALUES(20,'6dfc782f6ae94db1ad195fd86703a5dd',9,'temperature_half_load','dut','MEAS:TEMP?','ask','pass','measured 44.88, expected within [25, 50]',44.88,NULL,25.0,50.0,1,9.78159999931449419818e-05,'2026-11-30 11:31:11.564701',0,NULL,'[]','["REQ-TEMP-001"]','C');
INSERT INTO "step_results" VALUES(21,'6dfc782f6ae94db1ad195fd86703a5dd',10,'load_off','dut','LOAD 0','send','pass','sent LOAD 0',NULL,NULL,NULL,NULL,1,6.40259999897807574598e-05,'2026-11-30 11:31:11.564804',1,NULL,'[]','[]',NULL);
INSERT INTO "step_results" VALUES(22,'6dfc782f6ae94db1ad195fd86703a5dd',11,'power_off','dut','POWER OFF','send','pass','sent POWER OFF',NULL,NULL,NULL,NULL,1,9.73350000208483834285e-05,'2026-11-30 11:31:11.564910',1,NULL,'[]','["REQ-PWR-001"]',NULL);
INSERT INTO "step_results" VALUES(23,'74fe86c444c64a859c48dccb35dab6d7',1,'power_on','dut','POWER ON','send','pass','sent POWER ON',NULL,NULL,NULL,NULL,1,7.68584000013561308151e-04,'2026-11-30 11:31:11.578716',0,NULL,'[]','["REQ-PWR-001"]',NULL);
INSERT INTO "step_results" VALUES(24,'74fe86c444c64a859c48dccb35dab6d7',2,'output_is_on','dut','POWER?','ask','pass','replied ''ON'', which contains ''ON''',NULL,NULL,NULL,NULL,1,5.43609999965610768413e-05,'2026-11-30 11:31:11.578781',0,NULL,'[]','["REQ-PWR-001"]',NULL);
INSERT INTO "step_results" VALUES(25,'74fe86c444c64a859c48dccb35dab6d7',3,'identify','dut','*IDN?','ask','pass','replied ''SIMULATORS,DUT-1000,SN0001,1.0'', which contains ''DUT-1000''',NULL,NULL,NULL,NULL,1,4.72399999864592246012e-05,'2026-11-30 11:31:11.578839',0,NULL,'[]','["REQ-ID-001"]',NULL);
INSERT INTO "step_results" VALUES(26,'74fe86c444c64a859c48dccb35dab6d7',4,'vout_no_load','dut','MEAS:VOLT?','ask','pass','measured 4.9987, expected 5 +/- 0.04 (delta 0.0013)',4.9987,5.0,4.96,5.04,1,1.44265000017185229808e-04,'2026-11-30 11:31:11.578993',0,NULL,'[]','["REQ-VOUT-001"]','V');
INSERT INTO "step_results" VALUES(27,'74fe86c444c64a859c48dccb35dab6d7',5,'load_1a','dut','LOAD 1.0','send','pass','sent LOAD 1.0',NULL,NULL,NULL,NULL,1,6.41459999997096e-05,'2026-11-30 11:31:11.579065',0,NULL,'[]','[]',NULL);
INSERT INTO "step_results" VALUES(28,'74fe86c444c64a859c48dccb35dab6d7',6,'vout_1a','dut','MEAS:VOLT?','ask','pass','measured 4.9625, expected within [4.9, 5]',4.9625,NULL,4.9,5.0,1,5.99990000011985102901e-05,'2026-11-30 11:31:11.579131',0,NULL,'[]','["REQ-VOUT-002"]','V');
INSERT INTO "step_results" VALUES(29,'74fe86c444c64a859c48dccb35dab6d7',7,'iout_1a','dut','MEAS:CURR?','ask','pass','measured 0.9998, expected 1 +/- 2% (delta 0.0002)',0.9998,1.0,0.98,1.02,1,5.81870000075923599069e-05,'2026-11-30 11:31:11.579195',0,NULL,'[]','["REQ-IOUT-001"]','A');
INSERT INTO "step_results" VALUES(30,'74fe86c444c64a859c48dccb35dab6d7',8,'load_half','dut','LOAD 0.5','send','pass','sent LOAD 0.5',NULL,NULL,NULL,NULL,1,4.29240000130448606796e-05,'2026-11-30 11:31:11.579245',0,NULL,'[]','[]',NULL);
INSERT INTO "step_results" VALUES(31,'74fe86c444c64a859c48dccb35dab6d7',9,'temperature_half_load','dut','MEAS:TEMP?','ask','pass','measured 44.97, expected within [25, 50]',44.97,NULL,25.0,50.0,1,4.91039999985787289915e-05,'2026-11-30 11:31:11.579300',0,NULL,'[]','["REQ-TEMP-001"]','C');
INSERT INTO "step_results" VALUES(32,'74fe86c444c64a859c48dccb35dab6d7',10,'load_off','dut','LOAD 0','send','pass','sent LOAD 0',NULL,NULL,NULL,NULL,1,4.53069999934996303636e-05,'2026-11-30 11:31:11.579353',1,NULL,'[]','[]',NULL);
INSERT INTO "step_results" VALUES(33,'74fe86c444c64a859c48dccb35dab6d7',11,'power_off','dut','POWER OFF','send','pass','sent POWER OFF',NULL,NULL,NULL,NULL,1,6.91329999824574770173e-05,'2026-11-30 11:31:11.579429',1,NULL,'[]','["REQ-PWR-001"]',NULL);
INSERT INTO "step_results" VALUES(34,'59c8e0548b034afcaec006d9c2fc3778',1,'power_on','dut','POWER ON','send','pass','sent POWER ON',NULL,NULL,NULL,NULL,1,3.44774999999231113179e-03,'2026-11-30 11:31:11.588329',0,NULL,'[]','["REQ-PWR-001"]',NULL);
INSERT INTO "step_results" VALUES(35,'59c8e0548b034afcaec006d9c2fc3778',2,'output_is_on','dut','POWER?','ask','pass','replied ''ON'', which contains ''ON''',NULL,NULL,NULL,NULL,1,1.73969999991641088854e-04,'2026-11-30 11:31:11.588520',0,NULL,'[]','["REQ-PWR-001"]',NULL);
INSERT INTO "step_results" VALUES(36,'59c8e0548b034afcaec006d9c2fc3778',3,'identify','dut','*IDN?','ask','pass','replied ''SIMULATORS,DUT-1000,SN0001,1.0'', which contains ''DUT-1000''',NULL,NULL,NULL,NULL,1,4.75909999977375264279e-05,'2026-11-30 11:31:11.588578',0,NULL,'[]','["REQ-ID-001"]',NULL);
INSERT INTO "step_results" VALUES(37,'59c8e0548b034afcaec006d9c2fc3778',4,'vout_no_load','dut','MEAS:VOLT?','ask','pass','measured 4.9649, expected 5 +/- 0.04 (delta 0.0351)',4.9649,5.0,4.96,5.04,1,9.12259999950038e-05,'2026-11-30 11:31:11.588675',0,NULL,'[]','["REQ-VOUT-001"]','V');
INSERT INTO "step_results" VALUES(38,'59c8e0548b034afcaec006d9c2fc3778',5,'load_1a','dut','LOAD 1.0','send','pass','sent LOAD 1.0',NULL,NULL,NULL,NULL,1,4.25829999812776804901e-05,'2026-11-30 11:31:11.588724',0,NULL,'[]','[]',NULL);
INSERT INTO "step_results" VALUES(39,'59c8e0548b034afcaec006d9c2fc3778',6,'vout_1a','dut','MEAS:VOLT?','ask','pass','measured 4.9261, expected within [4.9, 5]',4.9261,NULL,4.9,5.0,2,3.61194899997485663334e-03,'2026-11-30 11:31:11.592346',0,NULL,'["E210"]','["REQ-VOUT-002"]','V');
INSERT INTO "step_results" VALUES(40,'59c8e0548b034afcaec006d9c2fc3778',7,'iout_1a','dut','MEAS:CURR?','ask','pass','measured 0.9999, expected 1 +/- 2% (delta 0.0001)',0.9999,1.0,0.98,1.02,2,3.97716199998399133619e-03,'2026-11-30 11:31:11.596340',0,NULL,'["E211"]','["REQ-IOUT-001"]','A');
INSERT INTO "step_results" VALUES(41,'59c8e0548b034afcaec006d9c2fc3778',8,'load_half','dut','LOAD 0.5','send','pass','sent LOAD 0.5',NULL,NULL,NULL,NULL,1,6.29939999896578228799e-05,'2026-11-30 11:31:11.596415',0,NULL,'[]','[]',NULL);
INSERT INTO "step_results" VALUES(42,'59c8e0548b034afcaec006d9c2fc3778',9,'temperature_half_load','dut','MEAS:TEMP?','ask','pass','measured 44.76, expected within [25, 50]',44.76,NULL,25.0,50.0,1,8.87820000059491576394e-05,'2026-11-30 11:31:11.596518',0,NULL,'[]','["REQ-TEMP-001"]','C');
INSERT INTO "step_results" VALUES(43,'59c8e0548b034afcaec006d9c2fc3778',10,'load_off','dut','LOAD 0','send','pass','sent LOAD 0',NULL,NULL,NULL,NULL,1,4.73210000109247630462e-05,'2026-11-30 11:31:11.596575',1,NULL,'[]','[]',NULL);
INSERT INTO "step_results" VALUES(44,'59c8e0548b034afcaec006d9c2fc3778',11,'power_off','dut','POWER OFF','send','pass','sent POWER OFF',NULL,NULL,NULL,NULL,1,3.9439000005359048373e-05,'2026-11-30 11:31:11.596622',1,NULL,'[]','["REQ-PWR-001"]',NULL);
CREATE TABLE sweep_readings (
	run_id VARCHAR(64) NOT NULL, 
	step_number INTEGER NOT NULL, 
	seq INTEGER NOT NULL, 
	at DATETIME NOT NULL, 
	elapsed_s FLOAT NOT NULL, 
	setpoint_c FLOAT NOT NULL, 
	chamber_c FLOAT NOT NULL, 
	dut_c FLOAT, 
	vout_v FLOAT NOT NULL, 
	PRIMARY KEY (run_id, step_number, seq), 
	FOREIGN KEY(run_id) REFERENCES test_runs (id) ON DELETE CASCADE
);
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
INSERT INTO "test_runs" VALUES('55cf75edf2b3408ca0c544b48e56d7a2','station_bringup','/work/main/plans/station_bringup.yaml','# Bring-up of the reference station (doc/reference_station.rst, "The 11-step
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
','b7c4e9944d01b99ff87fa5ab30653dfc62ad7c384e2d1eee473febaab929bffb','simulated in-process','custom','passed','2026-11-30 11:31:02.916706','2026-11-30 11:31:02.977396',6.07111190000182432413e-02,11,11,0,0,NULL,NULL,'[]','vm',5537,NULL,NULL,NULL,NULL,'root','',0,NULL);
INSERT INTO "test_runs" VALUES('6dfc782f6ae94db1ad195fd86703a5dd','dut_functional','/work/main/plans/dut_functional.yaml','# Functional test of one DUT-1000 5 V supply module (the `dut` simulator,
# doc/dut.rst), run once per unit by `mfg-ctl batch` (doc/batch.rst):
#
#   mfg-ctl batch --plan plans/dut_functional.yaml --batch-id B001 \
#       --station-id ST1 --stage EVT --sns SN0001,SN0002,SN0003
#
# or for one unit: mfg-ctl run plans/dut_functional.yaml --sn SN0001
#
# Every step names the requirements it verifies (traceability/requirements.yaml);
# the coverage matrix of a run folder shows which requirement passed. A device
# fault (ERR E2xx) is retried twice; a unit whose output never switches on is
# not measured further (on_exhausted: skip-rest).
name: dut_functional
version: "1.0"
description: Functional test of the DUT-1000 5 V supply module
requirements: ../traceability/requirements.yaml

defaults:
  timeout: 1.0
  retries: 2
  retry_delay: 0.0
  on_exhausted: continue

devices:
  dut: {line: dut}

steps:
  - name: power_on
    device: dut
    send: "POWER ON"
    on_exhausted: skip-rest
    requirements: [REQ-PWR-001]

  - name: output_is_on
    device: dut
    ask: "POWER?"
    match: "ON"
    on_exhausted: skip-rest
    requirements: [REQ-PWR-001]

  - name: identify
    device: dut
    ask: "*IDN?"
    match: "DUT-1000"
    requirements: [REQ-ID-001]

  - name: vout_no_load
    device: dut
    ask: "MEAS:VOLT?"
    expected: 5.0
    tolerance: 0.04
    unit: V
    requirements: [REQ-VOUT-001]

  - name: load_1a
    device: dut
    send: "LOAD 1.0"

  - name: vout_1a
    device: dut
    ask: "MEAS:VOLT?"
    range: [4.90, 5.00]
    unit: V
    requirements: [REQ-VOUT-002]

  - name: iout_1a
    device: dut
    ask: "MEAS:CURR?"
    expected: 1.0
    tolerance_pct: 2
    unit: A
    requirements: [REQ-IOUT-001]

  - name: load_half
    device: dut
    send: "LOAD 0.5"

  - name: temperature_half_load
    device: dut
    ask: "MEAS:TEMP?"
    range: [25, 50]
    unit: C
    requirements: [REQ-TEMP-001]

teardown:
  - name: load_off
    device: dut
    send: "LOAD 0"

  - name: power_off
    device: dut
    send: "POWER OFF"
    requirements: [REQ-PWR-001]
','11220af0e5ff0153458607d33ca688c825a4cfeafd78d806dd6d08fc3dbe6d0b','simulated in-process','line','passed','2026-11-30 11:31:11.561187','2026-11-30 11:31:11.564928',3.75296900000421373988e-03,11,11,0,0,NULL,NULL,'[]','vm',5918,'SN0001','B-V4','ST-V4','DVT','ana','1.0',0,NULL);
INSERT INTO "test_runs" VALUES('74fe86c444c64a859c48dccb35dab6d7','dut_functional','/work/main/plans/dut_functional.yaml','# Functional test of one DUT-1000 5 V supply module (the `dut` simulator,
# doc/dut.rst), run once per unit by `mfg-ctl batch` (doc/batch.rst):
#
#   mfg-ctl batch --plan plans/dut_functional.yaml --batch-id B001 \
#       --station-id ST1 --stage EVT --sns SN0001,SN0002,SN0003
#
# or for one unit: mfg-ctl run plans/dut_functional.yaml --sn SN0001
#
# Every step names the requirements it verifies (traceability/requirements.yaml);
# the coverage matrix of a run folder shows which requirement passed. A device
# fault (ERR E2xx) is retried twice; a unit whose output never switches on is
# not measured further (on_exhausted: skip-rest).
name: dut_functional
version: "1.0"
description: Functional test of the DUT-1000 5 V supply module
requirements: ../traceability/requirements.yaml

defaults:
  timeout: 1.0
  retries: 2
  retry_delay: 0.0
  on_exhausted: continue

devices:
  dut: {line: dut}

steps:
  - name: power_on
    device: dut
    send: "POWER ON"
    on_exhausted: skip-rest
    requirements: [REQ-PWR-001]

  - name: output_is_on
    device: dut
    ask: "POWER?"
    match: "ON"
    on_exhausted: skip-rest
    requirements: [REQ-PWR-001]

  - name: identify
    device: dut
    ask: "*IDN?"
    match: "DUT-1000"
    requirements: [REQ-ID-001]

  - name: vout_no_load
    device: dut
    ask: "MEAS:VOLT?"
    expected: 5.0
    tolerance: 0.04
    unit: V
    requirements: [REQ-VOUT-001]

  - name: load_1a
    device: dut
    send: "LOAD 1.0"

  - name: vout_1a
    device: dut
    ask: "MEAS:VOLT?"
    range: [4.90, 5.00]
    unit: V
    requirements: [REQ-VOUT-002]

  - name: iout_1a
    device: dut
    ask: "MEAS:CURR?"
    expected: 1.0
    tolerance_pct: 2
    unit: A
    requirements: [REQ-IOUT-001]

  - name: load_half
    device: dut
    send: "LOAD 0.5"

  - name: temperature_half_load
    device: dut
    ask: "MEAS:TEMP?"
    range: [25, 50]
    unit: C
    requirements: [REQ-TEMP-001]

teardown:
  - name: load_off
    device: dut
    send: "LOAD 0"

  - name: power_off
    device: dut
    send: "POWER OFF"
    requirements: [REQ-PWR-001]
','11220af0e5ff0153458607d33ca688c825a4cfeafd78d806dd6d08fc3dbe6d0b','simulated in-process','line','passed','2026-11-30 11:31:11.577914','2026-11-30 11:31:11.579487',1.58083400000919027661e-03,11,11,0,0,NULL,NULL,'[]','vm',5918,'SN0002','B-V4','ST-V4','DVT','ana','1.0',0,NULL);
INSERT INTO "test_runs" VALUES('59c8e0548b034afcaec006d9c2fc3778','dut_functional','/work/main/plans/dut_functional.yaml','# Functional test of one DUT-1000 5 V supply module (the `dut` simulator,
# doc/dut.rst), run once per unit by `mfg-ctl batch` (doc/batch.rst):
#
#   mfg-ctl batch --plan plans/dut_functional.yaml --batch-id B001 \
#       --station-id ST1 --stage EVT --sns SN0001,SN0002,SN0003
#
# or for one unit: mfg-ctl run plans/dut_functional.yaml --sn SN0001
#
# Every step names the requirements it verifies (traceability/requirements.yaml);
# the coverage matrix of a run folder shows which requirement passed. A device
# fault (ERR E2xx) is retried twice; a unit whose output never switches on is
# not measured further (on_exhausted: skip-rest).
name: dut_functional
version: "1.0"
description: Functional test of the DUT-1000 5 V supply module
requirements: ../traceability/requirements.yaml

defaults:
  timeout: 1.0
  retries: 2
  retry_delay: 0.0
  on_exhausted: continue

devices:
  dut: {line: dut}

steps:
  - name: power_on
    device: dut
    send: "POWER ON"
    on_exhausted: skip-rest
    requirements: [REQ-PWR-001]

  - name: output_is_on
    device: dut
    ask: "POWER?"
    match: "ON"
    on_exhausted: skip-rest
    requirements: [REQ-PWR-001]

  - name: identify
    device: dut
    ask: "*IDN?"
    match: "DUT-1000"
    requirements: [REQ-ID-001]

  - name: vout_no_load
    device: dut
    ask: "MEAS:VOLT?"
    expected: 5.0
    tolerance: 0.04
    unit: V
    requirements: [REQ-VOUT-001]

  - name: load_1a
    device: dut
    send: "LOAD 1.0"

  - name: vout_1a
    device: dut
    ask: "MEAS:VOLT?"
    range: [4.90, 5.00]
    unit: V
    requirements: [REQ-VOUT-002]

  - name: iout_1a
    device: dut
    ask: "MEAS:CURR?"
    expected: 1.0
    tolerance_pct: 2
    unit: A
    requirements: [REQ-IOUT-001]

  - name: load_half
    device: dut
    send: "LOAD 0.5"

  - name: temperature_half_load
    device: dut
    ask: "MEAS:TEMP?"
    range: [25, 50]
    unit: C
    requirements: [REQ-TEMP-001]

teardown:
  - name: load_off
    device: dut
    send: "LOAD 0"

  - name: power_off
    device: dut
    send: "POWER OFF"
    requirements: [REQ-PWR-001]
','11220af0e5ff0153458607d33ca688c825a4cfeafd78d806dd6d08fc3dbe6d0b','simulated in-process','line','passed','2026-11-30 11:31:11.584852','2026-11-30 11:31:11.596639',1.17927969999982451554e-02,11,11,0,0,NULL,NULL,'[]','vm',5918,'SN0003','B-V4','ST-V4','DVT','ana','1.0',0,NULL);
CREATE INDEX ix_test_runs_plan_hash ON test_runs (plan_hash);
CREATE INDEX ix_test_runs_status ON test_runs (status);
CREATE INDEX ix_test_runs_started_at ON test_runs (started_at);
CREATE INDEX ix_test_runs_batch_id ON test_runs (batch_id);
CREATE INDEX ix_test_runs_plan_started ON test_runs (plan_name, started_at);
CREATE INDEX ix_test_runs_started_id ON test_runs (started_at, id);
CREATE INDEX ix_test_runs_station_id ON test_runs (station_id);
CREATE INDEX ix_test_runs_stage ON test_runs (stage);
CREATE INDEX ix_test_runs_status_started ON test_runs (status, started_at);
CREATE INDEX ix_test_runs_sn ON test_runs (sn);
CREATE INDEX ix_test_runs_parent_run_id ON test_runs (parent_run_id);
CREATE INDEX ix_step_results_run_id ON step_results (run_id);
CREATE INDEX ix_devices_run_id ON devices (run_id);
COMMIT;
