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
INSERT INTO "devices" VALUES(1,'9223e34ab01b489db78eaf34b28e24d5','power_supply','127.0.0.1',45743,'custom',1,1);
INSERT INTO "devices" VALUES(2,'9223e34ab01b489db78eaf34b28e24d5','actuator','127.0.0.1',44343,'custom',1,1);
INSERT INTO "devices" VALUES(3,'9223e34ab01b489db78eaf34b28e24d5','dmm','127.0.0.1',39729,'custom',1,1);
INSERT INTO "devices" VALUES(4,'9223e34ab01b489db78eaf34b28e24d5','thermocouple','127.0.0.1',46679,'custom',1,1);
INSERT INTO "devices" VALUES(5,'41f62c7444ca4021b5ea2e83dd852fdb','power_supply','127.0.0.1',44525,'custom',1,1);
INSERT INTO "devices" VALUES(6,'41f62c7444ca4021b5ea2e83dd852fdb','actuator','127.0.0.1',38593,'custom',1,1);
INSERT INTO "devices" VALUES(7,'41f62c7444ca4021b5ea2e83dd852fdb','dmm','127.0.0.1',36577,'custom',1,1);
INSERT INTO "devices" VALUES(8,'41f62c7444ca4021b5ea2e83dd852fdb','thermocouple','127.0.0.1',35551,'custom',1,1);
CREATE TABLE mfg_ctl_schema (
	id INTEGER NOT NULL, 
	version INTEGER NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO "mfg_ctl_schema" VALUES(1,1);
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
	PRIMARY KEY (id), 
	FOREIGN KEY(run_id) REFERENCES test_runs (id) ON DELETE CASCADE
);
INSERT INTO "step_results" VALUES(1,'9223e34ab01b489db78eaf34b28e24d5',1,'set_supply_voltage','power_supply','voltage_setpoint','write','pass','wrote 1200 to voltage_setpoint',NULL,NULL,NULL,NULL,1,2.34382799999366397969e-03,'2026-11-29 21:05:34.639562');
INSERT INTO "step_results" VALUES(2,'9223e34ab01b489db78eaf34b28e24d5',2,'set_supply_current_limit','power_supply','current_limit','write','pass','wrote 500 to current_limit',NULL,NULL,NULL,NULL,1,1.82331000019075872842e-04,'2026-11-29 21:05:34.644322');
INSERT INTO "step_results" VALUES(3,'9223e34ab01b489db78eaf34b28e24d5',3,'enable_supply_output','power_supply','output_enable','write','pass','wrote 1 to output_enable',NULL,NULL,NULL,NULL,1,1.50978999954531900584e-04,'2026-11-29 21:05:34.647225');
INSERT INTO "step_results" VALUES(4,'9223e34ab01b489db78eaf34b28e24d5',4,'check_supply_voltage_readback','power_supply','voltage_readback','read','pass','measured 1200, expected 1200 +/- 25 (delta 0)',1200.0,1200.0,1175.0,1225.0,1,2.18431999996937520336e-04,'2026-11-29 21:05:34.651348');
INSERT INTO "step_results" VALUES(5,'9223e34ab01b489db78eaf34b28e24d5',5,'check_supply_current_readback','power_supply','current_readback','read','pass','measured 480, expected within [400, 520]',480.0,NULL,400.0,520.0,1,2.0149900001342757605e-04,'2026-11-29 21:05:34.653471');
INSERT INTO "step_results" VALUES(6,'9223e34ab01b489db78eaf34b28e24d5',6,'command_actuator_position','actuator','target_position','write','pass','wrote 500 to target_position',NULL,NULL,NULL,NULL,1,0.000980072999936965,'2026-11-29 21:05:34.655579');
INSERT INTO "step_results" VALUES(7,'9223e34ab01b489db78eaf34b28e24d5',7,'check_actuator_position','actuator','position','read','pass','measured 500, expected 500 +/- 10 (delta 0)',500.0,500.0,490.0,510.0,1,2.73374000016701756976e-04,'2026-11-29 21:05:34.657819');
INSERT INTO "step_results" VALUES(8,'9223e34ab01b489db78eaf34b28e24d5',8,'check_actuator_status','actuator','status','read','pass','measured 1, expected 1 +/- 0 (delta 0)',1.0,1.0,1.0,1.0,1,1.97316000026148685719e-04,'2026-11-29 21:05:34.659413');
INSERT INTO "step_results" VALUES(9,'9223e34ab01b489db78eaf34b28e24d5',9,'check_dmm_dc_voltage','dmm','dc_voltage','read','pass','measured 4980, expected 5000 +/- 50 (delta 20)',4980.0,5000.0,4950.0,5050.0,1,4.90356000000247149728e-04,'2026-11-29 21:05:34.660899');
INSERT INTO "step_results" VALUES(10,'9223e34ab01b489db78eaf34b28e24d5',10,'check_thermocouple_channel_0','thermocouple','channel_0','read','pass','measured 2300, expected within [2200, 2400]',2300.0,NULL,2200.0,2400.0,1,5.46073999998952785972e-04,'2026-11-29 21:05:34.662533');
INSERT INTO "step_results" VALUES(11,'9223e34ab01b489db78eaf34b28e24d5',11,'check_thermocouple_cold_junction','thermocouple','cold_junction','read','pass','measured 2500, expected within [2300, 2700]',2500.0,NULL,2300.0,2700.0,1,1.32340999925872893072e-04,'2026-11-29 21:05:34.663738');
INSERT INTO "step_results" VALUES(12,'41f62c7444ca4021b5ea2e83dd852fdb',1,'set_supply_voltage','power_supply','voltage_setpoint','write','pass','wrote 1200 to voltage_setpoint',NULL,NULL,NULL,NULL,1,4.87186099996961274882e-03,'2026-11-29 21:05:36.064550');
INSERT INTO "step_results" VALUES(13,'41f62c7444ca4021b5ea2e83dd852fdb',2,'set_supply_current_limit','power_supply','current_limit','write','pass','wrote 500 to current_limit',NULL,NULL,NULL,NULL,1,2.05176999998002429492e-04,'2026-11-29 21:05:36.070369');
INSERT INTO "step_results" VALUES(14,'41f62c7444ca4021b5ea2e83dd852fdb',3,'enable_supply_output','power_supply','output_enable','write','pass','wrote 1 to output_enable',NULL,NULL,NULL,NULL,1,6.09684999972159857861e-04,'2026-11-29 21:05:36.072660');
INSERT INTO "step_results" VALUES(15,'41f62c7444ca4021b5ea2e83dd852fdb',4,'check_supply_voltage_readback','power_supply','voltage_readback','read','pass','measured 1200, expected 1200 +/- 25 (delta 0)',1200.0,1200.0,1175.0,1225.0,1,2.49807000045620952732e-04,'2026-11-29 21:05:36.076454');
INSERT INTO "step_results" VALUES(16,'41f62c7444ca4021b5ea2e83dd852fdb',5,'check_supply_current_readback','power_supply','current_readback','read','pass','measured 480, expected within [400, 520]',480.0,NULL,400.0,520.0,1,1.52741000079004152212e-04,'2026-11-29 21:05:36.077909');
INSERT INTO "step_results" VALUES(17,'41f62c7444ca4021b5ea2e83dd852fdb',6,'command_actuator_position','actuator','target_position','write','pass','wrote 500 to target_position',NULL,NULL,NULL,NULL,1,7.79867999995076388586e-04,'2026-11-29 21:05:36.080230');
INSERT INTO "step_results" VALUES(18,'41f62c7444ca4021b5ea2e83dd852fdb',7,'check_actuator_position','actuator','position','read','pass','measured 500, expected 500 +/- 10 (delta 0)',500.0,500.0,490.0,510.0,1,2.17625900006623851368e-03,'2026-11-29 21:05:36.085407');
INSERT INTO "step_results" VALUES(19,'41f62c7444ca4021b5ea2e83dd852fdb',8,'check_actuator_status','actuator','status','read','pass','measured 1, expected 1 +/- 0 (delta 0)',1.0,1.0,1.0,1.0,1,3.27931000015269091818e-04,'2026-11-29 21:05:36.089164');
INSERT INTO "step_results" VALUES(20,'41f62c7444ca4021b5ea2e83dd852fdb',9,'check_dmm_dc_voltage','dmm','dc_voltage','read','fail','measured 4980, expected 4000 +/- 50 (delta 980)',4980.0,4000.0,3950.0,4050.0,1,5.81871000008504779543e-04,'2026-11-29 21:05:36.091125');
INSERT INTO "step_results" VALUES(21,'41f62c7444ca4021b5ea2e83dd852fdb',10,'check_thermocouple_channel_0','thermocouple','channel_0','read','pass','measured 2300, expected within [2200, 2400]',2300.0,NULL,2200.0,2400.0,1,0.000579417000039939,'2026-11-29 21:05:36.092729');
INSERT INTO "step_results" VALUES(22,'41f62c7444ca4021b5ea2e83dd852fdb',11,'check_thermocouple_cold_junction','thermocouple','cold_junction','read','pass','measured 2500, expected within [2300, 2700]',2500.0,NULL,2300.0,2700.0,1,1.32806999999957042746e-04,'2026-11-29 21:05:36.093821');
CREATE TABLE test_runs (
	id VARCHAR(64) NOT NULL, 
	plan_name VARCHAR(255) NOT NULL, 
	plan_path TEXT NOT NULL, 
	plan_text TEXT NOT NULL, 
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
INSERT INTO "test_runs" VALUES('9223e34ab01b489db78eaf34b28e24d5','station_bringup','plans/station_bringup.yaml','# Bring-up of the reference station (doc/reference_station.rst, "The 11-step bring-up").
#
# Powers the supply to 12.00 V with a 500 mA limit, checks its readbacks,
# moves the actuator to 500 and checks it arrived, then checks the DMM and
# the thermocouple reader. Values are raw register units.
#
# Run it against the simulated station:
#   discos-simulator -s station start
#   mfg-ctl run plans/station_bringup.yaml
#
# Every step name, value and threshold here is part of the contract: the
# report lines in doc/reference_station.rst (and tests outside the project) depend on them.
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
','custom','passed','2026-11-29 21:05:34.623174','2026-11-29 21:05:34.669003',4.58377120000932336552e-02,11,11,0,0,NULL,NULL,'[]','vm',14357);
INSERT INTO "test_runs" VALUES('41f62c7444ca4021b5ea2e83dd852fdb','station_bringup','plans/failing_bringup.yaml','# Bring-up of the reference station (doc/reference_station.rst, "The 11-step bring-up").
#
# Powers the supply to 12.00 V with a 500 mA limit, checks its readbacks,
# moves the actuator to 500 and checks it arrived, then checks the DMM and
# the thermocouple reader. Values are raw register units.
#
# Run it against the simulated station:
#   discos-simulator -s station start
#   mfg-ctl run plans/station_bringup.yaml
#
# Every step name, value and threshold here is part of the contract: the
# report lines in doc/reference_station.rst (and tests outside the project) depend on them.
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
','custom','failed','2026-11-29 21:05:36.052878','2026-11-29 21:05:36.094663',4.17973559999609278747e-02,11,10,1,0,'9 check_dmm_dc_voltage',NULL,'[]','vm',14468);
CREATE INDEX ix_test_runs_status ON test_runs (status);
CREATE INDEX ix_test_runs_started_at ON test_runs (started_at);
CREATE INDEX ix_test_runs_plan_started ON test_runs (plan_name, started_at);
CREATE INDEX ix_test_runs_parent_run_id ON test_runs (parent_run_id);
CREATE INDEX ix_step_results_run_id ON step_results (run_id);
CREATE INDEX ix_devices_run_id ON devices (run_id);
COMMIT;
