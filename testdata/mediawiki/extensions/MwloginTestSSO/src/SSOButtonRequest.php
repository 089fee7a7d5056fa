<?php
/**
 * TEST-ONLY extension of the mwlogin project: never install on a real wiki.
 *
 * The "Log in with Test SSO" button. In meta=authmanagerinfo it appears as
 * request id "MediaWiki\Extension\MwloginTestSSO\SSOButtonRequest:mwlogintestsso"
 * with one field "mwlogintestsso" of type "button".
 */

namespace MediaWiki\Extension\MwloginTestSSO;

use MediaWiki\Auth\ButtonAuthenticationRequest;
use RawMessage;

class SSOButtonRequest extends ButtonAuthenticationRequest {
	public const NAME = 'mwlogintestsso';

	public function __construct() {
		parent::__construct(
			self::NAME,
			wfMessage( 'mwlogintestsso-button-label' ),
			wfMessage( 'mwlogintestsso-button-help' ),
			true
		);
	}

	public function describeCredentials() {
		return [
			'provider' => wfMessage( 'mwlogintestsso-provider' ),
			'account' => new RawMessage( '' ),
		];
	}

	public static function __set_state( $data ) {
		$ret = new static();
		foreach ( $data as $k => $v ) {
			$ret->$k = $v;
		}
		return $ret;
	}
}
