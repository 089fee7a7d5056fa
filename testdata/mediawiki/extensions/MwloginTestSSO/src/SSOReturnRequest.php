<?php
/**
 * TEST-ONLY extension of the mwlogin project: never install on a real wiki.
 *
 * What the client posts back (clientlogin with logincontinue=1) after the
 * identity provider redirected the browser to the return URL: the fields
 * "code" and "state" taken from that URL's query string.
 */

namespace MediaWiki\Extension\MwloginTestSSO;

use MediaWiki\Auth\AuthenticationRequest;
use RawMessage;

class SSOReturnRequest extends AuthenticationRequest {
	/** @var string|null */
	public $code;
	/** @var string|null */
	public $state;

	public function describeCredentials() {
		return [
			'provider' => wfMessage( 'mwlogintestsso-provider' ),
			'account' => new RawMessage( '' ),
		];
	}

	public function getFieldInfo() {
		return [
			'code' => [
				'type' => 'string',
				'label' => wfMessage( 'mwlogintestsso-code-label' ),
				'help' => wfMessage( 'mwlogintestsso-code-help' ),
			],
			'state' => [
				'type' => 'string',
				'label' => wfMessage( 'mwlogintestsso-state-label' ),
				'help' => wfMessage( 'mwlogintestsso-state-help' ),
			],
		];
	}
}
