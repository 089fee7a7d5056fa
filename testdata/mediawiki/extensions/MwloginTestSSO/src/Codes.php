<?php
/**
 * TEST-ONLY extension of the mwlogin project: never install on a real wiki.
 *
 * Codes handed out by the fake identity provider (Special:MwloginTestIdP)
 * and checked by SSOPrimaryAuthenticationProvider: a signed, expiring,
 * state-bound token ("<base64url(json)>.<base64url(hmac-sha256)>"), made
 * single-use with the main object stash.
 */

namespace MediaWiki\Extension\MwloginTestSSO;

use MediaWiki\MediaWikiServices;

class Codes {
	/**
	 * @return string HMAC key
	 */
	private static function secret(): string {
		$config = MediaWikiServices::getInstance()->getMainConfig();
		$secret = (string)$config->get( 'MwloginTestSSOSecret' );
		if ( $secret === '' ) {
			$secret = hash( 'sha256', 'MwloginTestSSO|' . $config->get( 'SecretKey' ) );
		}
		return $secret;
	}

	private static function b64( string $bin ): string {
		return rtrim( strtr( base64_encode( $bin ), '+/', '-_' ), '=' );
	}

	private static function unb64( string $s ) {
		return base64_decode( strtr( $s, '-_', '+/' ), true );
	}

	/**
	 * Issue a code for $identity, bound to the client's $state.
	 */
	public static function issue( string $identity, string $state ): string {
		$ttl = (int)MediaWikiServices::getInstance()->getMainConfig()->get( 'MwloginTestSSOCodeTTL' );
		$payload = self::b64( json_encode( [
			'sub' => $identity,
			'state' => $state,
			'exp' => time() + $ttl,
			'jti' => bin2hex( random_bytes( 8 ) ),
		] ) );
		return $payload . '.' . self::b64( hash_hmac( 'sha256', $payload, self::secret(), true ) );
	}

	/**
	 * Check a code: signature, expiry and that it was issued for $state.
	 * @return string|null the identity, or null if the code is not valid
	 */
	public static function verify( string $code, string $state ): ?string {
		$parts = explode( '.', $code );
		if ( count( $parts ) !== 2 ) {
			return null;
		}
		[ $payload, $sig ] = $parts;
		$want = self::b64( hash_hmac( 'sha256', $payload, self::secret(), true ) );
		if ( !hash_equals( $want, $sig ) ) {
			return null;
		}
		$json = self::unb64( $payload );
		$data = $json === false ? null : json_decode( $json, true );
		if ( !is_array( $data ) || !isset( $data['sub'], $data['state'], $data['exp'] ) ) {
			return null;
		}
		if ( !hash_equals( (string)$data['state'], $state ) || (int)$data['exp'] < time() ) {
			return null;
		}
		return (string)$data['sub'];
	}

	/**
	 * Mark a (valid) code as used.
	 * @return bool false if it had been used before
	 */
	public static function markUsed( string $code ): bool {
		$stash = MediaWikiServices::getInstance()->getMainObjectStash();
		$ttl = (int)MediaWikiServices::getInstance()->getMainConfig()->get( 'MwloginTestSSOCodeTTL' );
		return $stash->add(
			$stash->makeKey( 'mwlogintestsso-usedcode', sha1( $code ) ),
			1,
			$ttl + 60
		);
	}
}
