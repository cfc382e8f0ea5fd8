export type Workload = 'rpc' | 'broadcast';
