/* Internal symbols get reserved names in the objects (a program linking the archive statically
 * may have its own wb_* names); the sources keep the short ones. Generated from nm: keep in
 * step with the hidden definitions (make check-names verifies). */
#ifndef WB_NAMESPACE_H
#define WB_NAMESPACE_H
#define wb_activate __wbrt_activate
#define wb_alloc_realloc_untracked __wbrt_alloc_realloc_untracked
#define wb_alloc_register __wbrt_alloc_register
#define wb_alloc_release __wbrt_alloc_release
#define wb_check_foreign_free __wbrt_check_foreign_free
#define wb_config __wbrt_config
#define wb_config_init __wbrt_config_init
#define wb_event_append_slow __wbrt_event_append_slow
#define wb_fast_limit __wbrt_fast_limit
#define wb_flags_update __wbrt_flags_update
#define wb_flush_any_thread __wbrt_flush_any_thread
#define wb_flush_cb __wbrt_flush_cb
#define wb_flush_ctx __wbrt_flush_ctx
#define wb_free_flags __wbrt_free_flags
#define wb_index_find __wbrt_index_find
#define wb_index_host_base __wbrt_index_host_base
#define wb_index_scan_start __wbrt_index_scan_start
#define wb_is_host_thread __wbrt_is_host_thread
#define wb_large_find __wbrt_large_find
#define wb_large_insert __wbrt_large_insert
#define wb_large_remove __wbrt_large_remove
#define wb_large_resize __wbrt_large_resize
#define wb_large_size __wbrt_large_size
#define wb_lock_slow __wbrt_lock_slow
#define wb_log_enabled __wbrt_log_enabled
#define wb_log_pending __wbrt_log_pending
#define wb_log_take __wbrt_log_take
#define wb_map_leaf_create __wbrt_map_leaf_create
#define wb_map_size __wbrt_map_size
#define wb_map_top __wbrt_map_top
#define wb_on_stack __wbrt_on_stack
#define wb_os_reserve __wbrt_os_reserve
#define wb_policy_free_tracked __wbrt_policy_free_tracked
#define wb_policy_realloc_tracked __wbrt_policy_realloc_tracked
#define wb_policy_release __wbrt_policy_release
#define wb_policy_track __wbrt_policy_track
#define wb_quarantine_count __wbrt_quarantine_count
#define wb_quarantine_push __wbrt_quarantine_push
#define wb_range_create __wbrt_range_create
#define wb_range_kill __wbrt_range_kill
#define wb_realloc_acct_begin __wbrt_realloc_acct_begin
#define wb_realloc_acct_end __wbrt_realloc_acct_end
#define wb_rec_erase __wbrt_rec_erase
#define wb_rec_find __wbrt_rec_find
#define wb_rec_get __wbrt_rec_get
#define wb_rec_insert __wbrt_rec_insert
#define wb_rec_lock __wbrt_rec_lock
#define wb_rec_unlock __wbrt_rec_unlock
#define wb_report __wbrt_report
#define wb_shadow_adjust __wbrt_shadow_adjust
#define wb_slot_note __wbrt_slot_note
#define wb_slotmask_release __wbrt_slotmask_release
#define wb_slots_any __wbrt_slots_any
#define wb_slots_init __wbrt_slots_init
#define wb_slots_snapshot __wbrt_slots_snapshot
#define wb_stats_g __wbrt_stats_g
#define wb_store_note __wbrt_store_note
#define wb_stress_flush __wbrt_stress_flush
#define wb_stress_init __wbrt_stress_init
#define wb_getdelim __wbrt_getdelim
#endif
