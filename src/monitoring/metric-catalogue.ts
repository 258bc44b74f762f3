/**
 * Which scrape job produces which metric names, with where each list comes from: an exporter's
 * documentation, or the real binary's `/metrics` (node-exporter 1.5.0, Prometheus 3.5.3, run here).
 * Tests use it to refuse an alert or dashboard query that reads a name no synthesized job produces.
 * Histogram and summary families are listed by their base name; {@link producedBy} also accepts the
 * `_bucket`, `_sum` and `_count` series.
 *
 * The job names are the `job_name`s of `scrapeConfigs` (constructs/prometheus.ts); dashboards and
 * rules select on them.
 */
import { platformProfile } from '../model/platforms/index.ts';
import type { Cloud } from '../model/types.ts';
import { STACK_SCRAPE_JOBS } from '../scrape/jobs.ts';

/** Jobs every cluster's scraper (Prometheus, or the collector's `prometheus` receiver) runs. */
export const COMMON_JOBS = [
  STACK_SCRAPE_JOBS.stack,
  STACK_SCRAPE_JOBS.kubeStateMetrics,
  STACK_SCRAPE_JOBS.kubelet,
  STACK_SCRAPE_JOBS.cadvisor,
  STACK_SCRAPE_JOBS.pods,
  STACK_SCRAPE_JOBS.serviceEndpoints,
  STACK_SCRAPE_JOBS.apiServer,
  STACK_SCRAPE_JOBS.coreDns,
  STACK_SCRAPE_JOBS.nodeExporter,
] as const;

/** Control-plane jobs a cloud's profile may add (`controlPlane` in src/model/platforms/*). */
export const CONTROL_PLANE_JOBS = [STACK_SCRAPE_JOBS.etcd, STACK_SCRAPE_JOBS.scheduler, STACK_SCRAPE_JOBS.controllerManager] as const;
export type ControlPlaneJob = (typeof CONTROL_PLANE_JOBS)[number];

export type JobName = (typeof COMMON_JOBS)[number] | ControlPlaneJob;

/** One list of names and where it was read. */
export interface MetricSource {
  /** A documentation URL, or "real binary /metrics: <name> <version>". */
  readonly source: string;
  readonly metrics: readonly string[];
}

const words = (text: string): readonly string[] => text.split(/\s+/).filter(Boolean);

/** Every scraped target yields these, whatever it exports (Prometheus adds them). */
const SCRAPE_SERIES = ['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling', 'scrape_series_added'];

/** node-exporter 1.5.0's own /metrics (Debian prometheus-node-exporter, default collectors), histogram suffixes folded. */
const NODE_EXPORTER_1_5 = words(`
  node_arp_entries node_boot_time_seconds node_context_switches_total node_cpu_guest_seconds_total node_cpu_seconds_total
  node_disk_discard_time_seconds_total node_disk_discarded_sectors_total node_disk_discards_completed_total node_disk_discards_merged_total
  node_disk_flush_requests_time_seconds_total node_disk_flush_requests_total node_disk_info node_disk_io_now node_disk_io_time_seconds_total
  node_disk_io_time_weighted_seconds_total node_disk_read_bytes_total node_disk_read_time_seconds_total node_disk_reads_completed_total
  node_disk_reads_merged_total node_disk_write_time_seconds_total node_disk_writes_completed_total node_disk_writes_merged_total
  node_disk_written_bytes_total node_entropy_available_bits node_entropy_pool_size_bits node_exporter_build_info node_filefd_allocated
  node_filefd_maximum node_filesystem_avail_bytes node_filesystem_device_error node_filesystem_files node_filesystem_files_free
  node_filesystem_free_bytes node_filesystem_readonly node_filesystem_size_bytes node_forks_total node_intr_total node_load1 node_load15
  node_load5 node_memory_Active_anon_bytes node_memory_Active_bytes node_memory_Active_file_bytes node_memory_AnonHugePages_bytes
  node_memory_AnonPages_bytes node_memory_Balloon_bytes node_memory_Bounce_bytes node_memory_Buffers_bytes node_memory_Cached_bytes
  node_memory_CommitLimit_bytes node_memory_Committed_AS_bytes node_memory_DirectMap2M_bytes node_memory_DirectMap4k_bytes
  node_memory_Dirty_bytes node_memory_FileHugePages_bytes node_memory_FilePmdMapped_bytes node_memory_HugePages_Free
  node_memory_HugePages_Rsvd node_memory_HugePages_Surp node_memory_HugePages_Total node_memory_Hugepagesize_bytes node_memory_Hugetlb_bytes
  node_memory_Inactive_anon_bytes node_memory_Inactive_bytes node_memory_Inactive_file_bytes node_memory_KReclaimable_bytes
  node_memory_KernelStack_bytes node_memory_Mapped_bytes node_memory_MemAvailable_bytes node_memory_MemFree_bytes node_memory_MemTotal_bytes
  node_memory_Mlocked_bytes node_memory_NFS_Unstable_bytes node_memory_PageTables_bytes node_memory_Percpu_bytes
  node_memory_SReclaimable_bytes node_memory_SUnreclaim_bytes node_memory_SecPageTables_bytes node_memory_ShmemHugePages_bytes
  node_memory_ShmemPmdMapped_bytes node_memory_Shmem_bytes node_memory_Slab_bytes node_memory_SwapCached_bytes node_memory_SwapFree_bytes
  node_memory_SwapTotal_bytes node_memory_Unevictable_bytes node_memory_VmallocChunk_bytes node_memory_VmallocTotal_bytes
  node_memory_VmallocUsed_bytes node_memory_WritebackTmp_bytes node_memory_Writeback_bytes node_memory_Zswap_bytes node_memory_Zswapped_bytes
  node_netstat_Icmp6_InErrors node_netstat_Icmp6_InMsgs node_netstat_Icmp6_OutMsgs node_netstat_Icmp_InErrors node_netstat_Icmp_InMsgs
  node_netstat_Icmp_OutMsgs node_netstat_Ip6_InOctets node_netstat_Ip6_OutOctets node_netstat_IpExt_InOctets node_netstat_IpExt_OutOctets
  node_netstat_Ip_Forwarding node_netstat_TcpExt_ListenDrops node_netstat_TcpExt_ListenOverflows node_netstat_TcpExt_SyncookiesFailed
  node_netstat_TcpExt_SyncookiesRecv node_netstat_TcpExt_SyncookiesSent node_netstat_TcpExt_TCPSynRetrans node_netstat_TcpExt_TCPTimeouts
  node_netstat_Tcp_ActiveOpens node_netstat_Tcp_CurrEstab node_netstat_Tcp_InErrs node_netstat_Tcp_InSegs node_netstat_Tcp_OutRsts
  node_netstat_Tcp_OutSegs node_netstat_Tcp_PassiveOpens node_netstat_Tcp_RetransSegs node_netstat_Udp6_InDatagrams
  node_netstat_Udp6_InErrors node_netstat_Udp6_NoPorts node_netstat_Udp6_OutDatagrams node_netstat_Udp6_RcvbufErrors
  node_netstat_Udp6_SndbufErrors node_netstat_UdpLite6_InErrors node_netstat_UdpLite_InErrors node_netstat_Udp_InDatagrams
  node_netstat_Udp_InErrors node_netstat_Udp_NoPorts node_netstat_Udp_OutDatagrams node_netstat_Udp_RcvbufErrors
  node_netstat_Udp_SndbufErrors node_network_address_assign_type node_network_carrier node_network_carrier_changes_total
  node_network_carrier_down_changes_total node_network_carrier_up_changes_total node_network_device_id node_network_dormant
  node_network_flags node_network_iface_id node_network_iface_link node_network_iface_link_mode node_network_info node_network_mtu_bytes
  node_network_name_assign_type node_network_net_dev_group node_network_protocol_type node_network_receive_bytes_total
  node_network_receive_compressed_total node_network_receive_drop_total node_network_receive_errs_total node_network_receive_fifo_total
  node_network_receive_frame_total node_network_receive_multicast_total node_network_receive_nohandler_total
  node_network_receive_packets_total node_network_speed_bytes node_network_transmit_bytes_total node_network_transmit_carrier_total
  node_network_transmit_colls_total node_network_transmit_compressed_total node_network_transmit_drop_total node_network_transmit_errs_total
  node_network_transmit_fifo_total node_network_transmit_packets_total node_network_transmit_queue_length node_network_up
  node_nf_conntrack_entries node_nf_conntrack_entries_limit node_nf_conntrack_stat_drop node_nf_conntrack_stat_early_drop
  node_nf_conntrack_stat_found node_nf_conntrack_stat_ignore node_nf_conntrack_stat_insert node_nf_conntrack_stat_insert_failed
  node_nf_conntrack_stat_invalid node_nf_conntrack_stat_search_restart node_os_info node_os_version node_pressure_cpu_waiting_seconds_total
  node_pressure_io_stalled_seconds_total node_pressure_io_waiting_seconds_total node_pressure_memory_stalled_seconds_total
  node_pressure_memory_waiting_seconds_total node_procs_blocked node_procs_running node_scrape_collector_duration_seconds
  node_scrape_collector_success node_selinux_enabled node_sockstat_FRAG6_inuse node_sockstat_FRAG6_memory node_sockstat_FRAG_inuse
  node_sockstat_FRAG_memory node_sockstat_RAW6_inuse node_sockstat_RAW_inuse node_sockstat_TCP6_inuse node_sockstat_TCP_alloc
  node_sockstat_TCP_inuse node_sockstat_TCP_mem node_sockstat_TCP_mem_bytes node_sockstat_TCP_orphan node_sockstat_TCP_tw
  node_sockstat_UDP6_inuse node_sockstat_UDPLITE6_inuse node_sockstat_UDPLITE_inuse node_sockstat_UDP_inuse node_sockstat_UDP_mem
  node_sockstat_UDP_mem_bytes node_sockstat_sockets_used node_softnet_dropped_total node_softnet_processed_total
  node_softnet_times_squeezed_total node_textfile_scrape_error node_time_clocksource_available_info node_time_clocksource_current_info
  node_time_seconds node_time_zone_offset_seconds node_timex_estimated_error_seconds node_timex_frequency_adjustment_ratio
  node_timex_loop_time_constant node_timex_maxerror_seconds node_timex_offset_seconds node_timex_pps_calibration_total
  node_timex_pps_error_total node_timex_pps_frequency_hertz node_timex_pps_jitter_seconds node_timex_pps_jitter_total
  node_timex_pps_shift_seconds node_timex_pps_stability_exceeded_total node_timex_pps_stability_hertz node_timex_status
  node_timex_sync_status node_timex_tai_offset_seconds node_timex_tick_seconds node_udp_queues node_uname_info node_vmstat_oom_kill
  node_vmstat_pgfault node_vmstat_pgmajfault node_vmstat_pgpgin node_vmstat_pgpgout node_vmstat_pswpin node_vmstat_pswpout
`);

/** Go runtime and process metrics every Go binary here exports (node-exporter 1.5.0's /metrics). */
const GO_PROCESS = words(`
  go_gc_duration_seconds go_goroutines go_info go_memstats_alloc_bytes go_memstats_alloc_bytes_total go_memstats_buck_hash_sys_bytes
  go_memstats_frees_total go_memstats_gc_sys_bytes go_memstats_heap_alloc_bytes go_memstats_heap_idle_bytes go_memstats_heap_inuse_bytes
  go_memstats_heap_objects go_memstats_heap_released_bytes go_memstats_heap_sys_bytes go_memstats_last_gc_time_seconds
  go_memstats_lookups_total go_memstats_mallocs_total go_memstats_mcache_inuse_bytes go_memstats_mcache_sys_bytes
  go_memstats_mspan_inuse_bytes go_memstats_mspan_sys_bytes go_memstats_next_gc_bytes go_memstats_other_sys_bytes
  go_memstats_stack_inuse_bytes go_memstats_stack_sys_bytes go_memstats_sys_bytes go_threads process_cpu_seconds_total process_max_fds
  process_open_fds process_resident_memory_bytes process_start_time_seconds process_virtual_memory_bytes process_virtual_memory_max_bytes
`);

/** Prometheus 3.5.3's own /metrics with no rules or Alertmanager configured, histogram suffixes folded. */
const PROMETHEUS_3_5 = words(`
  prometheus_api_notification_active_subscribers prometheus_api_notification_updates_dropped_total
  prometheus_api_notification_updates_sent_total prometheus_build_info prometheus_config_last_reload_success_timestamp_seconds
  prometheus_config_last_reload_successful prometheus_engine_queries prometheus_engine_queries_concurrent_max
  prometheus_engine_query_duration_seconds prometheus_engine_query_log_enabled prometheus_engine_query_log_failures_total
  prometheus_engine_query_samples_total prometheus_http_request_duration_seconds prometheus_http_requests_total
  prometheus_http_response_size_bytes prometheus_notifications_alertmanagers_discovered prometheus_notifications_dropped_total
  prometheus_notifications_queue_capacity prometheus_notifications_queue_length prometheus_ready prometheus_remote_read_handler_queries
  prometheus_remote_storage_exemplars_in_total prometheus_remote_storage_highest_timestamp_in_seconds
  prometheus_remote_storage_histograms_in_total prometheus_remote_storage_samples_in_total
  prometheus_remote_storage_string_interner_zero_reference_releases_total prometheus_rule_evaluation_duration_seconds
  prometheus_rule_group_duration_seconds prometheus_sd_discovered_targets prometheus_sd_dns_lookup_failures_total
  prometheus_sd_dns_lookups_total prometheus_sd_failed_configs prometheus_sd_file_read_errors_total prometheus_sd_file_scan_duration_seconds
  prometheus_sd_file_watcher_errors_total prometheus_sd_http_failures_total prometheus_sd_kubernetes_events_total
  prometheus_sd_kubernetes_failures_total prometheus_sd_linode_failures_total prometheus_sd_received_updates_total
  prometheus_sd_updates_delayed_total prometheus_sd_updates_total prometheus_target_metadata_cache_bytes
  prometheus_target_metadata_cache_entries prometheus_target_scrape_pool_exceeded_label_limits_total
  prometheus_target_scrape_pool_exceeded_target_limit_total prometheus_target_scrape_pool_reloads_failed_total
  prometheus_target_scrape_pool_reloads_total prometheus_target_scrape_pool_symboltable_items prometheus_target_scrape_pool_sync_total
  prometheus_target_scrape_pool_target_limit prometheus_target_scrape_pool_targets prometheus_target_scrape_pools_failed_total
  prometheus_target_scrape_pools_total prometheus_target_scrapes_cache_flush_forced_total
  prometheus_target_scrapes_exceeded_body_size_limit_total prometheus_target_scrapes_exceeded_native_histogram_bucket_limit_total
  prometheus_target_scrapes_exceeded_sample_limit_total prometheus_target_scrapes_exemplar_out_of_order_total
  prometheus_target_scrapes_sample_duplicate_timestamp_total prometheus_target_scrapes_sample_out_of_bounds_total
  prometheus_target_scrapes_sample_out_of_order_total prometheus_target_sync_failed_total prometheus_target_sync_length_seconds
  prometheus_template_text_expansion_failures_total prometheus_template_text_expansions_total prometheus_treecache_watcher_goroutines
  prometheus_treecache_zookeeper_failures_total prometheus_tsdb_blocks_loaded prometheus_tsdb_checkpoint_creations_failed_total
  prometheus_tsdb_checkpoint_creations_total prometheus_tsdb_checkpoint_deletions_failed_total prometheus_tsdb_checkpoint_deletions_total
  prometheus_tsdb_clean_start prometheus_tsdb_compaction_chunk_range_seconds prometheus_tsdb_compaction_chunk_samples
  prometheus_tsdb_compaction_chunk_size_bytes prometheus_tsdb_compaction_duration_seconds prometheus_tsdb_compaction_populating_block
  prometheus_tsdb_compactions_failed_total prometheus_tsdb_compactions_skipped_total prometheus_tsdb_compactions_total
  prometheus_tsdb_compactions_triggered_total prometheus_tsdb_data_replay_duration_seconds prometheus_tsdb_exemplar_exemplars_appended_total
  prometheus_tsdb_exemplar_exemplars_in_storage prometheus_tsdb_exemplar_last_exemplars_timestamp_seconds
  prometheus_tsdb_exemplar_max_exemplars prometheus_tsdb_exemplar_out_of_order_exemplars_total
  prometheus_tsdb_exemplar_series_with_exemplars_in_storage prometheus_tsdb_head_active_appenders prometheus_tsdb_head_chunks
  prometheus_tsdb_head_chunks_created_total prometheus_tsdb_head_chunks_removed_total prometheus_tsdb_head_chunks_storage_size_bytes
  prometheus_tsdb_head_gc_duration_seconds prometheus_tsdb_head_max_time prometheus_tsdb_head_max_time_seconds prometheus_tsdb_head_min_time
  prometheus_tsdb_head_min_time_seconds prometheus_tsdb_head_out_of_order_samples_appended_total prometheus_tsdb_head_samples_appended_total
  prometheus_tsdb_head_series prometheus_tsdb_head_series_created_total prometheus_tsdb_head_series_not_found_total
  prometheus_tsdb_head_series_removed_total prometheus_tsdb_head_truncations_failed_total prometheus_tsdb_head_truncations_total
  prometheus_tsdb_isolation_high_watermark prometheus_tsdb_isolation_low_watermark prometheus_tsdb_lowest_timestamp
  prometheus_tsdb_lowest_timestamp_seconds prometheus_tsdb_mmap_chunk_corruptions_total prometheus_tsdb_mmap_chunks_total
  prometheus_tsdb_out_of_bound_samples_total prometheus_tsdb_out_of_order_samples_total prometheus_tsdb_reloads_failures_total
  prometheus_tsdb_reloads_total prometheus_tsdb_retention_limit_bytes prometheus_tsdb_retention_limit_seconds
  prometheus_tsdb_size_retentions_total prometheus_tsdb_snapshot_replay_error_total prometheus_tsdb_storage_blocks_bytes
  prometheus_tsdb_symbol_table_size_bytes prometheus_tsdb_time_retentions_total prometheus_tsdb_tombstone_cleanup_seconds
  prometheus_tsdb_too_old_samples_total prometheus_tsdb_vertical_compactions_total prometheus_tsdb_wal_completed_pages_total
  prometheus_tsdb_wal_corruptions_total prometheus_tsdb_wal_fsync_duration_seconds prometheus_tsdb_wal_page_flushes_total
  prometheus_tsdb_wal_record_bytes_saved_total prometheus_tsdb_wal_record_part_writes_total
  prometheus_tsdb_wal_record_parts_bytes_written_total prometheus_tsdb_wal_segment_current prometheus_tsdb_wal_storage_size_bytes
  prometheus_tsdb_wal_truncate_duration_seconds prometheus_tsdb_wal_truncations_failed_total prometheus_tsdb_wal_truncations_total
  prometheus_tsdb_wal_writes_failed_total prometheus_web_federation_errors_total prometheus_web_federation_warnings_total
`);

const K8S_METRICS_DOCS = 'https://kubernetes.io/docs/reference/instrumentation/metrics/';
/** What every Kubernetes component built with component-base exports beside its own metrics. */
const K8S_COMPONENT_BASE = words(`
  rest_client_requests_total rest_client_request_duration_seconds workqueue_adds_total workqueue_depth workqueue_queue_duration_seconds
  workqueue_work_duration_seconds workqueue_retries_total workqueue_unfinished_work_seconds workqueue_longest_running_processor_seconds
  leader_election_master_status kubernetes_build_info
`);

export const METRIC_CATALOGUE: Readonly<Record<JobName, readonly MetricSource[]>> = {
  'o11y-stack': [
    { source: 'real binary /metrics: prometheus 3.5.3', metrics: PROMETHEUS_3_5 },
    {
      // Series that exist once rules, an Alertmanager and remote write are configured (checked by test/stack-rules-promtool.test.ts against the real binary).
      source: 'real binary /metrics: prometheus 3.5.3 with rules, an Alertmanager and remote write',
      metrics: words(`
        prometheus_rule_group_last_duration_seconds prometheus_rule_group_interval_seconds prometheus_rule_group_iterations_total
        prometheus_rule_group_iterations_missed_total prometheus_rule_group_rules prometheus_rule_group_last_evaluation_timestamp_seconds
        prometheus_rule_evaluations_total prometheus_rule_evaluation_failures_total prometheus_notifications_sent_total
        prometheus_notifications_errors_total prometheus_notifications_latency_seconds prometheus_remote_storage_samples_failed_total
        prometheus_remote_storage_queue_highest_sent_timestamp_seconds prometheus_tsdb_reloads_failures_total
        prometheus_tsdb_checkpoint_creations_failed_total
      `),
    },
    {
      source: 'https://prometheus.io/docs/alerting/latest/alertmanager/ (names checked against the real alertmanager 0.33.1 by test/stack-rules-promtool.test.ts)',
      metrics: words(`
        alertmanager_notifications_total alertmanager_notifications_failed_total alertmanager_notification_latency_seconds
        alertmanager_alerts alertmanager_alerts_received_total alertmanager_alerts_invalid_total alertmanager_silences
        alertmanager_cluster_members alertmanager_config_last_reload_successful alertmanager_build_info
      `),
    },
    {
      source: 'https://opentelemetry.io/docs/collector/internal-telemetry/#lists-of-internal-metrics',
      metrics: words(`
        otelcol_receiver_accepted_spans_total otelcol_receiver_accepted_metric_points_total otelcol_receiver_accepted_log_records_total
        otelcol_receiver_refused_spans_total otelcol_receiver_refused_metric_points_total otelcol_receiver_refused_log_records_total
        otelcol_exporter_sent_spans_total otelcol_exporter_sent_metric_points_total otelcol_exporter_sent_log_records_total
        otelcol_exporter_send_failed_spans_total otelcol_exporter_send_failed_metric_points_total otelcol_exporter_send_failed_log_records_total
        otelcol_exporter_enqueue_failed_spans_total otelcol_exporter_enqueue_failed_metric_points_total otelcol_exporter_enqueue_failed_log_records_total
        otelcol_exporter_queue_size otelcol_exporter_queue_capacity otelcol_process_memory_rss otelcol_process_cpu_seconds_total
        otelcol_process_uptime_total
      `),
    },
    {
      // The Prometheus names of the collector's mdatagen metrics: `_total` on sums, the unit as a suffix (`By` → `_bytes`, `s` → `_seconds`), `{items}` units dropped.
      source:
        'https://github.com/open-telemetry/opentelemetry-collector/blob/main/processor/processorhelper/documentation.md and service/documentation.md (otelcol_process_memory_rss in By, otelcol_process_uptime in s)',
      metrics: words('otelcol_processor_incoming_items_total otelcol_processor_outgoing_items_total otelcol_process_memory_rss_bytes otelcol_process_uptime_seconds_total'),
    },
    {
      source: 'https://grafana.com/docs/loki/latest/operations/meta-monitoring/',
      metrics: words(`
        loki_request_duration_seconds loki_discarded_samples_total loki_distributor_lines_received_total loki_distributor_bytes_received_total
        loki_ingester_memory_streams loki_build_info
      `),
    },
    {
      source: 'https://grafana.com/docs/tempo/latest/operations/monitor/',
      metrics: words(`
        tempo_request_duration_seconds tempo_discarded_spans_total tempo_distributor_spans_received_total tempo_ingester_live_traces
        tempo_build_info
      `),
    },
    { source: 'src/controller/health.ts (this project\'s o11y controller)', metrics: ['o11y_healthy'] },
  ],
  'kube-state-metrics': [
    {
      source: 'https://github.com/kubernetes/kube-state-metrics/tree/v2.17.0/docs/metrics',
      metrics: words(`
        kube_node_info kube_node_labels kube_node_status_condition kube_node_status_capacity kube_node_status_allocatable
        kube_node_spec_unschedulable kube_node_spec_taint kube_node_created
        kube_pod_info kube_pod_owner kube_pod_labels kube_pod_created kube_pod_start_time kube_pod_status_phase kube_pod_status_ready
        kube_pod_status_reason kube_pod_status_scheduled kube_pod_container_info kube_pod_container_status_restarts_total
        kube_pod_container_status_waiting kube_pod_container_status_waiting_reason kube_pod_container_status_terminated
        kube_pod_container_status_terminated_reason kube_pod_container_status_last_terminated_reason kube_pod_container_status_ready
        kube_pod_container_status_running kube_pod_container_resource_requests kube_pod_container_resource_limits
        kube_deployment_created kube_deployment_labels kube_deployment_spec_replicas kube_deployment_status_replicas
        kube_deployment_status_replicas_available kube_deployment_status_replicas_unavailable kube_deployment_status_replicas_updated
        kube_deployment_status_replicas_ready kube_deployment_status_observed_generation kube_deployment_metadata_generation
        kube_deployment_status_condition kube_deployment_spec_paused
        kube_statefulset_created kube_statefulset_labels kube_statefulset_replicas kube_statefulset_status_replicas
        kube_statefulset_status_replicas_ready kube_statefulset_status_replicas_current kube_statefulset_status_replicas_updated
        kube_statefulset_status_replicas_available kube_statefulset_status_current_revision kube_statefulset_status_update_revision
        kube_statefulset_status_observed_generation kube_statefulset_metadata_generation
        kube_daemonset_created kube_daemonset_labels kube_daemonset_status_desired_number_scheduled
        kube_daemonset_status_current_number_scheduled kube_daemonset_status_number_available kube_daemonset_status_number_misscheduled
        kube_daemonset_status_number_ready kube_daemonset_status_number_unavailable kube_daemonset_status_updated_number_scheduled
        kube_daemonset_status_observed_generation kube_daemonset_metadata_generation
        kube_replicaset_owner kube_replicaset_spec_replicas kube_replicaset_status_replicas kube_replicaset_status_ready_replicas
        kube_horizontalpodautoscaler_info kube_horizontalpodautoscaler_spec_max_replicas kube_horizontalpodautoscaler_spec_min_replicas
        kube_horizontalpodautoscaler_status_current_replicas kube_horizontalpodautoscaler_status_desired_replicas
        kube_horizontalpodautoscaler_status_condition
        kube_job_info kube_job_owner kube_job_created kube_job_status_active kube_job_status_failed kube_job_status_succeeded
        kube_job_status_start_time kube_job_status_completion_time kube_job_failed kube_job_complete kube_job_spec_completions
        kube_cronjob_info kube_cronjob_created kube_cronjob_next_schedule_time kube_cronjob_status_last_schedule_time
        kube_cronjob_status_active kube_cronjob_spec_suspend
        kube_namespace_created kube_namespace_labels kube_namespace_status_phase kube_resourcequota kube_limitrange
        kube_persistentvolumeclaim_info kube_persistentvolumeclaim_labels kube_persistentvolumeclaim_status_phase
        kube_persistentvolumeclaim_resource_requests_storage_bytes kube_persistentvolumeclaim_access_mode
        kube_persistentvolume_info kube_persistentvolume_labels kube_persistentvolume_status_phase kube_persistentvolume_capacity_bytes
        kube_persistentvolume_claim_ref
        kube_service_info kube_service_labels kube_service_spec_type kube_endpoint_info kube_endpoint_address
        kube_ingress_info kube_ingress_labels kube_networkpolicy_labels kube_poddisruptionbudget_status_current_healthy
        kube_poddisruptionbudget_status_desired_healthy kube_poddisruptionbudget_status_expected_pods kube_storageclass_info
        kube_replicationcontroller_created
      `),
    },
  ],
  kubelet: [
    {
      source: K8S_METRICS_DOCS,
      metrics: [
        ...words(`
          kubelet_node_name kubelet_running_pods kubelet_running_containers kubelet_pleg_relist_duration_seconds
          kubelet_pleg_relist_interval_seconds kubelet_pleg_last_seen_seconds kubelet_pod_start_duration_seconds
          kubelet_pod_worker_duration_seconds kubelet_runtime_operations_total kubelet_runtime_operations_errors_total
          kubelet_runtime_operations_duration_seconds kubelet_evictions kubelet_cgroup_manager_duration_seconds
          kubelet_volume_stats_available_bytes kubelet_volume_stats_capacity_bytes kubelet_volume_stats_used_bytes
          kubelet_volume_stats_inodes kubelet_volume_stats_inodes_free kubelet_volume_stats_inodes_used
          kubelet_certificate_manager_client_ttl_seconds kubelet_certificate_manager_client_expiration_renew_errors
          kubelet_certificate_manager_server_ttl_seconds kubelet_server_expiration_renew_errors
          kubelet_node_startup_duration_seconds kubelet_started_pods_total kubelet_started_pods_errors_total
          storage_operation_duration_seconds volume_manager_total_volumes
        `),
        ...K8S_COMPONENT_BASE,
      ],
    },
  ],
  cadvisor: [
    {
      source: 'https://github.com/google/cadvisor/blob/master/docs/storage/prometheus.md',
      metrics: words(`
        container_cpu_usage_seconds_total container_cpu_user_seconds_total container_cpu_system_seconds_total
        container_cpu_cfs_periods_total container_cpu_cfs_throttled_periods_total container_cpu_cfs_throttled_seconds_total
        container_memory_working_set_bytes container_memory_rss container_memory_cache container_memory_usage_bytes container_memory_swap
        container_memory_failcnt container_memory_max_usage_bytes container_oom_events_total
        container_network_receive_bytes_total container_network_transmit_bytes_total container_network_receive_packets_total
        container_network_transmit_packets_total container_network_receive_packets_dropped_total container_network_transmit_packets_dropped_total
        container_network_receive_errors_total container_network_transmit_errors_total
        container_fs_reads_bytes_total container_fs_writes_bytes_total container_fs_reads_total container_fs_writes_total
        container_fs_usage_bytes container_fs_limit_bytes container_last_seen container_start_time_seconds
        container_spec_cpu_quota container_spec_cpu_period container_spec_cpu_shares container_spec_memory_limit_bytes
        container_threads container_processes container_sockets container_file_descriptors
        machine_cpu_cores machine_memory_bytes
      `),
    },
  ],
  // Applications' own metrics: nothing the stack can name in advance.
  'kubernetes-pods': [],
  'kubernetes-service-endpoints': [],
  apiserver: [
    {
      source: K8S_METRICS_DOCS,
      metrics: [
        ...words(`
          apiserver_request_total apiserver_request_duration_seconds apiserver_request_sli_duration_seconds
          apiserver_current_inflight_requests apiserver_longrunning_requests apiserver_response_sizes
          apiserver_flowcontrol_rejected_requests_total apiserver_flowcontrol_current_executing_seats apiserver_storage_objects
          apiserver_storage_size_bytes apiserver_client_certificate_expiration_seconds apiserver_admission_webhook_rejection_count
          apiserver_admission_webhook_admission_duration_seconds apiserver_admission_controller_admission_duration_seconds
          aggregator_unavailable_apiservice aggregator_unavailable_apiservice_total etcd_request_duration_seconds
          apiserver_watch_events_total apiserver_audit_event_total
        `),
        ...K8S_COMPONENT_BASE,
      ],
    },
  ],
  coredns: [
    {
      source: 'https://coredns.io/plugins/metrics/ (and the cache and forward plugins\' pages)',
      metrics: words(`
        coredns_build_info coredns_dns_requests_total coredns_dns_responses_total coredns_dns_request_duration_seconds
        coredns_dns_request_size_bytes coredns_dns_response_size_bytes coredns_panics_total coredns_plugin_enabled
        coredns_cache_entries coredns_cache_hits_total coredns_cache_misses_total coredns_cache_requests_total
        coredns_forward_requests_total coredns_forward_responses_total coredns_forward_request_duration_seconds
        coredns_forward_healthcheck_failures_total coredns_forward_healthcheck_broken_total coredns_proxy_request_duration_seconds
      `),
    },
  ],
  'node-exporter': [{ source: 'real binary /metrics: prometheus-node-exporter 1.5.0', metrics: NODE_EXPORTER_1_5 }],
  etcd: [
    {
      source: 'https://etcd.io/docs/v3.5/metrics/',
      metrics: words(`
        etcd_server_has_leader etcd_server_is_leader etcd_server_leader_changes_seen_total etcd_server_proposals_committed_total
        etcd_server_proposals_applied_total etcd_server_proposals_pending etcd_server_proposals_failed_total etcd_server_version
        etcd_disk_wal_fsync_duration_seconds etcd_disk_backend_commit_duration_seconds etcd_mvcc_db_total_size_in_bytes
        etcd_mvcc_db_total_size_in_use_in_bytes etcd_server_quota_backend_bytes etcd_network_peer_round_trip_time_seconds
        etcd_network_client_grpc_received_bytes_total etcd_network_client_grpc_sent_bytes_total
        grpc_server_started_total grpc_server_handled_total grpc_server_handling_seconds
      `),
    },
  ],
  'kube-scheduler': [
    {
      source: K8S_METRICS_DOCS,
      metrics: [
        ...words(`
          scheduler_schedule_attempts_total scheduler_pending_pods scheduler_scheduling_attempt_duration_seconds
          scheduler_pod_scheduling_sli_duration_seconds scheduler_pod_scheduling_attempts scheduler_framework_extension_point_duration_seconds
          scheduler_preemption_attempts_total scheduler_queue_incoming_pods_total scheduler_unschedulable_pods
        `),
        ...K8S_COMPONENT_BASE,
      ],
    },
  ],
  'kube-controller-manager': [
    {
      source: K8S_METRICS_DOCS,
      metrics: [...words('node_collector_evictions_total node_collector_zone_health node_collector_zone_size node_collector_unhealthy_nodes_in_zone'), ...K8S_COMPONENT_BASE],
    },
  ],
};

/** Jobs whose targets are Go programs exporting the runtime and process collectors. */
const GO_JOBS: readonly JobName[] = ['o11y-stack', 'kube-state-metrics', 'kubelet', 'apiserver', 'coredns', 'node-exporter', 'etcd', 'kube-scheduler', 'kube-controller-manager'];

const FOLDED_SUFFIX = /_(bucket|sum|count)$/;

function buildIndex(): ReadonlyMap<string, readonly JobName[]> {
  const index = new Map<string, JobName[]>();
  const add = (metric: string, job: JobName) => {
    const jobs = index.get(metric) ?? [];
    if (!jobs.includes(job)) jobs.push(job);
    index.set(metric, jobs);
  };
  for (const [job, sources] of Object.entries(METRIC_CATALOGUE) as [JobName, readonly MetricSource[]][]) {
    for (const { metrics } of sources) for (const m of metrics) add(m, job);
    for (const m of SCRAPE_SERIES) add(m, job);
    if (GO_JOBS.includes(job)) for (const m of GO_PROCESS) add(m, job);
  }
  return index;
}

const INDEX = buildIndex();

/** The jobs that produce `metric` (a `_bucket`, `_sum` or `_count` series counts as its family); empty when none does. */
export function producedBy(metric: string): readonly JobName[] {
  return INDEX.get(metric) ?? (FOLDED_SUFFIX.test(metric) ? (INDEX.get(metric.replace(FOLDED_SUFFIX, '')) ?? []) : []);
}

/**
 * The jobs a cluster of `cloud` scrapes: the common jobs, whatever its roles (a backend's
 * Prometheus and a workload cluster's collector scraper run the same `scrapeConfigs`), plus the
 * control-plane jobs its cloud's profile lists.
 */
export function synthesizedJobs(cloud: Cloud): ReadonlySet<JobName> {
  return new Set<JobName>([...COMMON_JOBS, ...platformProfile(cloud).controlPlane.map((c) => c.job)]);
}
