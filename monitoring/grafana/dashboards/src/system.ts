import { dashboard, row, stat, timeSeries } from './panels.ts'

const disks = 'fstype!~"tmpfs|ramfs|overlay|squashfs"'

/** The seed's "System & Infrastructure": hosts (node exporter), containers (cAdvisor), Redis, every target. */
export const systemDashboard = () =>
  dashboard('ondes-system', 'System & Infrastructure', 'Hosts, containers, Redis and every scrape target.')
    .withRow(row('Services'))
    .withPanel(stat('Every service up', [{ expr: 'up', legend: '{{ job }} {{ instance }}' }], { red: 1, width: 24, height: 5 }))
    .withRow(row('Host'))
    .withPanel(
      timeSeries('CPU busy', [{ expr: '100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[$__rate_interval])))', legend: '{{ instance }}' }], {
        unit: 'percent',
        min: 0,
        max: 100,
        width: 8,
      }),
    )
    .withPanel(
      timeSeries('Memory used', [{ expr: '100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)', legend: '{{ instance }}' }], {
        unit: 'percent',
        min: 0,
        max: 100,
        width: 8,
      }),
    )
    .withPanel(
      timeSeries('Disk free', [{ expr: `100 * node_filesystem_avail_bytes{${disks}} / node_filesystem_size_bytes{${disks}}`, legend: '{{ instance }} {{ mountpoint }}' }], {
        unit: 'percent',
        min: 0,
        max: 100,
        width: 8,
      }),
    )
    .withPanel(timeSeries('Load average', [{ expr: 'node_load1', legend: '{{ instance }} 1m' }, { expr: 'node_load5', legend: '{{ instance }} 5m' }], { width: 12 }))
    .withPanel(
      timeSeries(
        'Network',
        [
          { expr: 'sum by (instance) (rate(node_network_receive_bytes_total{device!="lo"}[$__rate_interval]))', legend: '{{ instance }} in' },
          { expr: 'sum by (instance) (rate(node_network_transmit_bytes_total{device!="lo"}[$__rate_interval]))', legend: '{{ instance }} out' },
        ],
        { unit: 'Bps', width: 12 },
      ),
    )
    .withRow(row('Containers'))
    .withPanel(stat('Containers running', [{ expr: 'count(container_last_seen{name!=""})' }], { width: 4, height: 8 }))
    .withPanel(
      timeSeries('Container CPU', [{ expr: 'sum by (name) (rate(container_cpu_usage_seconds_total{name!=""}[$__rate_interval]))', legend: '{{ name }}' }], {
        unit: 'percentunit',
        width: 10,
      }),
    )
    .withPanel(timeSeries('Container memory', [{ expr: 'sum by (name) (container_memory_working_set_bytes{name!=""})', legend: '{{ name }}' }], { unit: 'bytes', width: 10 }))
    .withRow(row('Redis'))
    .withPanel(stat('Redis up', [{ expr: 'redis_up' }], { red: 1, width: 4, height: 8 }))
    .withPanel(timeSeries('Redis commands/s', [{ expr: 'sum(rate(redis_commands_processed_total[$__rate_interval]))', legend: 'commands' }], { unit: 'ops', width: 7 }))
    .withPanel(timeSeries('Redis clients', [{ expr: 'redis_connected_clients', legend: 'clients' }], { width: 6 }))
    .withPanel(timeSeries('Redis memory', [{ expr: 'redis_memory_used_bytes', legend: 'used' }], { unit: 'bytes', width: 7 }))
