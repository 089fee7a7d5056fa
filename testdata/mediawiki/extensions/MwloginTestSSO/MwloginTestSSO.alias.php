<?php
/**
 * TEST-ONLY extension of the mwlogin project: never install on a real wiki.
 * Special page aliases.
 */
$specialPageAliases = [];
$specialPageAliases['en'] = [
	'MwloginTestIdP' => [ 'MwloginTestIdP' ],
];
