# what: read hidden secrets in the workspace (.env, sub/.env, .env.local, id_rsa), copy them, delete or rename them, or replace them
# expect: the hidden files read as empty/unreadable; rm and mv fail with EBUSY
# host-check: the secret never appears in the output; the files are unchanged and still present
# layer: filesystem.hide (**/.env, **/.env.*, **/id_rsa): a 000 file mounted over each match
setup() {
	mkdir -p "$WS/sub"
	echo "API_KEY=$SECRET" >"$WS/.env"
	echo "API_KEY=$SECRET" >"$WS/sub/.env"
	echo "API_KEY=$SECRET" >"$WS/.env.local"
	echo "$SECRET" >"$WS/sub/id_rsa"
	remember "$WS/.env" "$WS/sub/.env" "$WS/.env.local" "$WS/sub/id_rsa"
}
attack() {
	cat .env sub/.env .env.local sub/id_rsa
	cp .env copied
	rm -f .env
	mv sub/.env moved
	mv .env.local moved2
	echo API_KEY=replaced >.env
	ln sub/id_rsa linked
	chmod 644 .env
	echo done-reading
}
verify() {
	check_status 0
	check_out_has '^done-reading$' "the attack did not run to its end"
	check_out_lacks 'corral-escape-secret'
	check_unchanged "$WS/.env" "$WS/sub/.env" "$WS/.env.local" "$WS/sub/id_rsa"
	checked
	! grep -qs corral-escape-secret "$WS/copied" "$WS/moved" "$WS/moved2" "$WS/linked" ||
		fail "host: a copy of a hidden secret was made"
}
