# features: the module serves /sys/kernel/debug/sched/features; a feature the variant adds shows and toggles.
scenario_features() {
	scenario_begin features
	f=/sys/kernel/debug/sched/features
	tr ' ' '\n' < $f | sed 's/^NO_//' | sort > /tmp/feat.before
	sched_install
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
	sched_uninstall
	tr ' ' '\n' < $f | sed 's/^NO_//' | sort > /tmp/feat.after
	check kernel-features-back "$(wc -l < /tmp/feat.after) features" cmp -s /tmp/feat.before /tmp/feat.after
	scenario_end
}
