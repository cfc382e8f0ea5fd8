// SPDX-License-Identifier: MIT
// The workload drivers, one table (a workload is data for the runner: which driver runs it).
import type { Workload } from '../../common/vocabulary.js';
import type { WorkloadDriver } from '../runner/repetition.js';
import { broadcastDriver } from './broadcast.js';
import { rpcDriver } from './rpc.js';

export const DRIVERS: Record<Workload, WorkloadDriver> = { rpc: rpcDriver, broadcast: broadcastDriver };
