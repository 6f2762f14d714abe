/**
 * The shapes of LXD's REST API that lxdeck reads (LXD 5.0 REST API, "Instances" and
 * "Instance state"; field names as LXD spells them). Only the fields used are typed.
 */

/** One address of an instance interface (InstanceStateNetworkAddress). */
export interface LxdAddress {
  /** "inet" or "inet6" */
  family: string;
  address: string;
  /** prefix length as text, e.g. "24" */
  netmask: string;
  /** "global", "link", "local" */
  scope: string;
}

/** One interface of a running instance (InstanceStateNetwork). */
export interface LxdNetworkState {
  addresses: LxdAddress[] | null;
  counters: { bytes_received: number; bytes_sent: number; packets_received: number; packets_sent: number } | null;
  hwaddr: string;
  /** the host-side interface (veth) */
  host_name: string;
  mtu: number;
  state: string;
  type: string;
}

/** GET /1.0/instances/NAME/state (InstanceState). */
export interface LxdInstanceState {
  /** "Running", "Stopped", "Frozen", "Error", ... */
  status: string;
  status_code: number;
  disk: Record<string, { usage: number }> | null;
  /** bytes; usage is -1 or 0 where LXD could not read it */
  memory: { usage: number; usage_peak: number; swap_usage: number; swap_usage_peak: number } | null;
  network: Record<string, LxdNetworkState> | null;
  /** init's PID on the host; 0 or -1 when not running */
  pid: number;
  processes: number;
  /** CPU time used, nanoseconds */
  cpu: { usage: number } | null;
}

/** GET /1.0/instances/NAME?recursion=1, or one element of /1.0/instances?recursion=2 (InstanceFull). */
export interface LxdInstance {
  name: string;
  /** "container" or "virtual-machine" */
  type: string;
  status: string;
  status_code: number;
  architecture: string;
  config: Record<string, string>;
  expanded_config: Record<string, string>;
  devices: Record<string, Record<string, string>>;
  expanded_devices: Record<string, Record<string, string>>;
  profiles: string[];
  ephemeral: boolean;
  stateful: boolean;
  description: string;
  created_at: string;
  last_used_at: string;
  /** the cluster member running it ("none" when not clustered) */
  location: string;
  project: string;
  state: LxdInstanceState | null;
}

/** GET /1.0 (Server): only what lxdeck reads. */
export interface LxdServer {
  api_version: string;
  auth: string;
  environment?: {
    server_clustered?: boolean;
    server_name?: string;
    server_version?: string;
    driver?: string;
    driver_version?: string;
    kernel_version?: string;
  };
}
