-- A schema-2 run store, made by mfg-ctl at commit b1c16f4 (the parent of "Runs carry the
-- unit's identity ...", the first with schema 3): in a git worktree of that commit with its
-- own venv, MFG_CTL_DB=runs.db mfg-ctl run plans/station_bringup.yaml (passed), then the same
-- plan with step 9 expecting 4000 instead of 5000 (failed at step 9), then
-- python3 -c "import sqlite3; print(*sqlite3.connect('runs.db').iterdump(), sep='\n')".
BEGIN TRANSACTION;
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
INSERT INTO "devices" VALUES(1,'004f305128fe4c0da54ab5f42b26b765','power_supply','127.0.0.1',36865,'custom',1,1);
INSERT INTO "devices" VALUES(2,'004f305128fe4c0da54ab5f42b26b765','actuator','127.0.0.1',34181,'custom',1,1);
INSERT INTO "devices" VALUES(3,'004f305128fe4c0da54ab5f42b26b765','dmm','127.0.0.1',37893,'custom',1,1);
INSERT INTO "devices" VALUES(4,'004f305128fe4c0da54ab5f42b26b765','thermocouple','127.0.0.1',34955,'custom',1,1);
INSERT INTO "devices" VALUES(5,'2142dc97914243f4bb32108962ae2e6b','power_supply','127.0.0.1',44941,'custom',1,1);
INSERT INTO "devices" VALUES(6,'2142dc97914243f4bb32108962ae2e6b','actuator','127.0.0.1',35665,'custom',1,1);
INSERT INTO "devices" VALUES(7,'2142dc97914243f4bb32108962ae2e6b','dmm','127.0.0.1',34063,'custom',1,1);
INSERT INTO "devices" VALUES(8,'2142dc97914243f4bb32108962ae2e6b','thermocouple','127.0.0.1',40177,'custom',1,1);
CREATE TABLE mfg_ctl_schema (
	id INTEGER NOT NULL, 
	version INTEGER NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO "mfg_ctl_schema" VALUES(1,2);
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
	PRIMARY KEY (id), 
	FOREIGN KEY(run_id) REFERENCES test_runs (id) ON DELETE CASCADE
);
INSERT INTO "step_results" VALUES(1,'004f305128fe4c0da54ab5f42b26b765',1,'set_supply_voltage','power_supply','voltage_setpoint','write','pass','wrote 1200 to voltage_setpoint',NULL,NULL,NULL,NULL,1,4.93286599999009922612e-03,'2026-11-30 03:40:43.007081',0);
INSERT INTO "step_results" VALUES(2,'004f305128fe4c0da54ab5f42b26b765',2,'set_supply_current_limit','power_supply','current_limit','write','pass','wrote 500 to current_limit',NULL,NULL,NULL,NULL,1,1.07232000004842120688e-03,'2026-11-30 03:40:43.014787',0);
INSERT INTO "step_results" VALUES(3,'004f305128fe4c0da54ab5f42b26b765',3,'enable_supply_output','power_supply','output_enable','write','pass','wrote 1 to output_enable',NULL,NULL,NULL,NULL,1,9.87975000043661566451e-04,'2026-11-30 03:40:43.017538',0);
INSERT INTO "step_results" VALUES(4,'004f305128fe4c0da54ab5f42b26b765',4,'check_supply_voltage_readback','power_supply','voltage_readback','read','pass','measured 1200, expected 1200 +/- 25 (delta 0)',1200.0,1200.0,1175.0,1225.0,1,2.91382999876077519729e-04,'2026-11-30 03:40:43.019171',0);
INSERT INTO "step_results" VALUES(5,'004f305128fe4c0da54ab5f42b26b765',5,'check_supply_current_readback','power_supply','current_readback','read','pass','measured 480, expected within [400, 520]',480.0,NULL,400.0,520.0,1,2.11032999914095853455e-04,'2026-11-30 03:40:43.021595',0);
INSERT INTO "step_results" VALUES(6,'004f305128fe4c0da54ab5f42b26b765',6,'command_actuator_position','actuator','target_position','write','pass','wrote 500 to target_position',NULL,NULL,NULL,NULL,1,4.60140499990302487276e-03,'2026-11-30 03:40:43.027249',0);
INSERT INTO "step_results" VALUES(7,'004f305128fe4c0da54ab5f42b26b765',7,'check_actuator_position','actuator','position','read','pass','measured 500, expected 500 +/- 10 (delta 0)',500.0,500.0,490.0,510.0,1,2.96158999844919890165e-04,'2026-11-30 03:40:43.030992',0);
INSERT INTO "step_results" VALUES(8,'004f305128fe4c0da54ab5f42b26b765',8,'check_actuator_status','actuator','status','read','pass','measured 1, expected 1 +/- 0 (delta 0)',1.0,1.0,1.0,1.0,1,2.5863399991976621095e-04,'2026-11-30 03:40:43.033403',0);
INSERT INTO "step_results" VALUES(9,'004f305128fe4c0da54ab5f42b26b765',9,'check_dmm_dc_voltage','dmm','dc_voltage','read','pass','measured 4980, expected 5000 +/- 50 (delta 20)',4980.0,5000.0,4950.0,5050.0,1,2.81425399998624925501e-03,'2026-11-30 03:40:43.039620',0);
INSERT INTO "step_results" VALUES(10,'004f305128fe4c0da54ab5f42b26b765',10,'check_thermocouple_channel_0','thermocouple','channel_0','read','pass','measured 2300, expected within [2200, 2400]',2300.0,NULL,2200.0,2400.0,1,2.68455200011885608546e-03,'2026-11-30 03:40:43.043837',0);
INSERT INTO "step_results" VALUES(11,'004f305128fe4c0da54ab5f42b26b765',11,'check_thermocouple_cold_junction','thermocouple','cold_junction','read','pass','measured 2500, expected within [2300, 2700]',2500.0,NULL,2300.0,2700.0,1,1.63811999982499401085e-04,'2026-11-30 03:40:43.045402',0);
INSERT INTO "step_results" VALUES(12,'2142dc97914243f4bb32108962ae2e6b',1,'set_supply_voltage','power_supply','voltage_setpoint','write','pass','wrote 1200 to voltage_setpoint',NULL,NULL,NULL,NULL,1,4.90955099985512788407e-03,'2026-11-30 03:40:49.210549',0);
INSERT INTO "step_results" VALUES(13,'2142dc97914243f4bb32108962ae2e6b',2,'set_supply_current_limit','power_supply','current_limit','write','pass','wrote 500 to current_limit',NULL,NULL,NULL,NULL,1,3.00665999930060934275e-04,'2026-11-30 03:40:49.216681',0);
INSERT INTO "step_results" VALUES(14,'2142dc97914243f4bb32108962ae2e6b',3,'enable_supply_output','power_supply','output_enable','write','pass','wrote 1 to output_enable',NULL,NULL,NULL,NULL,1,0.000338961999887033,'2026-11-30 03:40:49.220205',0);
INSERT INTO "step_results" VALUES(15,'2142dc97914243f4bb32108962ae2e6b',4,'check_supply_voltage_readback','power_supply','voltage_readback','read','pass','measured 1200, expected 1200 +/- 25 (delta 0)',1200.0,1200.0,1175.0,1225.0,1,8.52504000022236141376e-04,'2026-11-30 03:40:49.222939',0);
INSERT INTO "step_results" VALUES(16,'2142dc97914243f4bb32108962ae2e6b',5,'check_supply_current_readback','power_supply','current_readback','read','pass','measured 480, expected within [400, 520]',480.0,NULL,400.0,520.0,1,4.01986000042597879655e-04,'2026-11-30 03:40:49.225100',0);
INSERT INTO "step_results" VALUES(17,'2142dc97914243f4bb32108962ae2e6b',6,'command_actuator_position','actuator','target_position','write','pass','wrote 500 to target_position',NULL,NULL,NULL,NULL,1,1.17376100001820304896e-03,'2026-11-30 03:40:49.227874',0);
INSERT INTO "step_results" VALUES(18,'2142dc97914243f4bb32108962ae2e6b',7,'check_actuator_position','actuator','position','read','pass','measured 500, expected 500 +/- 10 (delta 0)',500.0,500.0,490.0,510.0,1,4.08817000106864725239e-04,'2026-11-30 03:40:49.229971',0);
INSERT INTO "step_results" VALUES(19,'2142dc97914243f4bb32108962ae2e6b',8,'check_actuator_status','actuator','status','read','pass','measured 1, expected 1 +/- 0 (delta 0)',1.0,1.0,1.0,1.0,1,3.3653500008767878171e-04,'2026-11-30 03:40:49.232020',0);
INSERT INTO "step_results" VALUES(20,'2142dc97914243f4bb32108962ae2e6b',9,'check_dmm_dc_voltage','dmm','dc_voltage','read','fail','measured 4980, expected 4000 +/- 50 (delta 980)',4980.0,4000.0,3950.0,4050.0,1,2.31971100015471165534e-03,'2026-11-30 03:40:49.235548',0);
INSERT INTO "step_results" VALUES(21,'2142dc97914243f4bb32108962ae2e6b',10,'check_thermocouple_channel_0','thermocouple','channel_0','read','pass','measured 2300, expected within [2200, 2400]',2300.0,NULL,2200.0,2400.0,1,1.76584499990894983056e-03,'2026-11-30 03:40:49.240278',0);
INSERT INTO "step_results" VALUES(22,'2142dc97914243f4bb32108962ae2e6b',11,'check_thermocouple_cold_junction','thermocouple','cold_junction','read','pass','measured 2500, expected within [2300, 2700]',2500.0,NULL,2300.0,2700.0,1,2.90982000024087028577e-04,'2026-11-30 03:40:49.244125',0);
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
	PRIMARY KEY (id), 
	FOREIGN KEY(parent_run_id) REFERENCES test_runs (id) ON DELETE SET NULL
);
INSERT INTO "test_runs" VALUES('004f305128fe4c0da54ab5f42b26b765','station_bringup','plans/station_bringup.yaml','# Bring-up of the reference station (doc/reference_station.rst, "The 11-step
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
','b7c4e9944d01b99ff87fa5ab30653dfc62ad7c384e2d1eee473febaab929bffb','simulated in-process','custom','passed','2026-11-30 03:40:42.992325','2026-11-30 03:40:43.046414',5.41068479999466944718e-02,11,11,0,0,NULL,NULL,'[]','vm',30514);
INSERT INTO "test_runs" VALUES('2142dc97914243f4bb32108962ae2e6b','station_bringup','plans/station_bringup_4000.yaml','# Bring-up of the reference station (doc/reference_station.rst, "The 11-step
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
    expected: 4000
    tolerance: 50

  - name: check_thermocouple_channel_0
    device: thermocouple
    register: channel_0
    range: [2200, 2400]

  - name: check_thermocouple_cold_junction
    device: thermocouple
    register: cold_junction
    range: [2300, 2700]
','86697a01597b8ae04bd0e773fe058203534db717200b1e27a0fc9145c104452f','simulated in-process','custom','failed','2026-11-30 03:40:49.193202','2026-11-30 03:40:49.245915',5.2730937999967864016e-02,11,10,1,0,'9 check_dmm_dc_voltage',NULL,'[]','vm',32020);
CREATE INDEX ix_test_runs_plan_hash ON test_runs (plan_hash);
CREATE INDEX ix_test_runs_parent_run_id ON test_runs (parent_run_id);
CREATE INDEX ix_test_runs_started_at ON test_runs (started_at);
CREATE INDEX ix_test_runs_plan_started ON test_runs (plan_name, started_at);
CREATE INDEX ix_test_runs_status ON test_runs (status);
CREATE INDEX ix_step_results_run_id ON step_results (run_id);
CREATE INDEX ix_devices_run_id ON devices (run_id);
COMMIT;
