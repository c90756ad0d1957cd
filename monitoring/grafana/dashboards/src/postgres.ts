import { dashboard, labelVariable, row, stat, timeSeries } from './panels.ts'

const db = 'database=~"$database"'

/** The seed's "PostgreSQL Microservices": one postgres exporter per module database. */
export const postgresDashboard = () =>
  dashboard('ondes-postgres', 'PostgreSQL Microservices', 'The five module databases, one postgres exporter each (monitoring/postgres-exporter/queries.yaml).')
    .withVariable(labelVariable('database', 'pg_up'))
    .withRow(row('State'))
    .withPanel(stat('Database up', [{ expr: `pg_up{${db}}`, legend: '{{ database }}' }], { red: 1, width: 24, description: '1 when the exporter reaches its database; PostgresDown fires after a minute at 0.' }))
    .withRow(row('Load'))
    .withPanel(timeSeries('Active connections', [{ expr: `pg_stat_database_numbackends{${db}}`, legend: '{{ database }}' }], { min: 0 }))
    .withPanel(
      timeSeries('Server connections / max_connections', [{ expr: `pg_server_connections{${db}} / pg_settings_max_connections{${db}}`, legend: '{{ database }}' }], {
        unit: 'percentunit',
        min: 0,
        max: 1,
      }),
    )
    .withPanel(
      timeSeries(
        'Transactions/s',
        [
          { expr: `sum by (database) (rate(pg_stat_database_xact_commit{${db}}[$__rate_interval]))`, legend: '{{ database }} commits' },
          { expr: `sum by (database) (rate(pg_stat_database_xact_rollback{${db}}[$__rate_interval]))`, legend: '{{ database }} rollbacks' },
        ],
        { unit: 'ops' },
      ),
    )
    .withPanel(
      timeSeries(
        'Cache hit ratio',
        [
          {
            expr: `sum by (database) (rate(pg_stat_database_blks_hit{${db}}[$__rate_interval])) / (sum by (database) (rate(pg_stat_database_blks_hit{${db}}[$__rate_interval])) + sum by (database) (rate(pg_stat_database_blks_read{${db}}[$__rate_interval])))`,
            legend: '{{ database }}',
          },
        ],
        { unit: 'percentunit', max: 1, description: 'Blocks served by the buffer cache over blocks read, as rates: PostgresCacheHitRatioLow fires under 90 %.' },
      ),
    )
    .withPanel(
      timeSeries(
        'Inserts / updates / deletes',
        ['inserted', 'updated', 'deleted'].map((op) => ({
          expr: `sum by (database) (rate(pg_stat_database_tup_${op}{${db}}[$__rate_interval]))`,
          legend: `{{ database }} ${op}`,
        })),
        { unit: 'rowsps' },
      ),
    )
    .withPanel(timeSeries('Deadlocks', [{ expr: `sum by (database) (increase(pg_stat_database_deadlocks{${db}}[$__rate_interval]))`, legend: '{{ database }}' }], { min: 0 }))
    .withRow(row('From the application'))
    .withPanel(
      timeSeries(
        'Statement p99 by module',
        [{ expr: 'histogram_quantile(0.99, sum by (module, kind, le) (rate(db_query_duration_seconds_bucket[$__rate_interval])))', legend: '{{ module }} {{ kind }}' }],
        { unit: 's' },
      ),
    )
    .withPanel(
      timeSeries(
        'Pool connections by module',
        [
          { expr: 'sum by (module, state) (db_pool_connections)', legend: '{{ module }} {{ state }}' },
          { expr: 'sum by (module) (db_pool_connections_waiting)', legend: '{{ module }} waiting' },
        ],
        { min: 0 },
      ),
    )
