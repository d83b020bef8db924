# features: the module serves /sys/kernel/debug/sched/features; a feature the variant adds shows and
# toggles; what the admin sets crosses each switch both ways (docs/runtime.md, "Sched features"):
# LB_MIN turned on before the install is on in the module, TTWU_QUEUE turned off while installed is
# off in the kernel after the rollback. Both are put back at the end.

scenario_features() {
	scenario_begin features
	f=/sys/kernel/debug/sched/features
	tr ' ' '\n' < $f | sed 's/^NO_//' | sort > /tmp/feat.before
	lb_min=$(feat_state LB_MIN)
	ttwu_queue=$(feat_state TTWU_QUEUE)
	echo LB_MIN > $f
	sched_install
	check admin-setting-carried-in "LB_MIN set before the install, the module has $(feat_state LB_MIN)" [ "$(feat_state LB_MIN)" = LB_MIN ]
	tr ' ' '\n' < $f | sed 's/^NO_//' | sort > /tmp/feat.during
	added=$(grep -vxFf /tmp/feat.before /tmp/feat.during | tr '\n' ' ')
	check kernel-features-kept "missing: $(grep -vxFf /tmp/feat.during /tmp/feat.before | tr '\n' ' ')" sh -c '! grep -qvxFf /tmp/feat.during /tmp/feat.before'
	# toggle the variant's first new feature, or a kernel one when it adds none
	feat=${added%% *}
	[ -n "$feat" ] || feat=TTWU_QUEUE
	echo "NO_$feat" > $f
	check toggles-off "$feat: $(tr ' ' '\n' < $f | grep -x "NO_$feat")" sh -c "tr ' ' '\n' < $f | grep -qx NO_$feat"
	echo "$feat" > $f
	check toggles-on "$feat: $(tr ' ' '\n' < $f | grep -x "$feat")" sh -c "tr ' ' '\n' < $f | grep -qx $feat"
	if [ -n "$added" ]; then
		check variant-feature-shows "added: $added" [ -n "$added" ]
	fi
	echo NO_TTWU_QUEUE > $f
	sched_uninstall
	tr ' ' '\n' < $f | sed 's/^NO_//' | sort > /tmp/feat.after
	check kernel-features-back "$(wc -l < /tmp/feat.after) features" cmp -s /tmp/feat.before /tmp/feat.after
	check admin-setting-carried-out "NO_TTWU_QUEUE set while installed, the kernel has $(feat_state TTWU_QUEUE) after the rollback" [ "$(feat_state TTWU_QUEUE)" = NO_TTWU_QUEUE ]
	check admin-setting-kept "LB_MIN set before the install, the kernel has $(feat_state LB_MIN) after the rollback" [ "$(feat_state LB_MIN)" = LB_MIN ]
	echo "$lb_min" > $f
	echo "$ttwu_queue" > $f
	scenario_end
}
