<?php
/**
 * TEST-ONLY extension of the mwlogin project: never install on a real wiki.
 *
 * QuestyCaptcha whose per-user bad-login trigger ("badloginperuser") is only
 * active for the users in $wgMwloginTestCaptchaUsers (default: Dave), so a
 * test can make the login captcha appear on demand (failed logins of Dave)
 * without other users' logins from the same IP ever needing a captcha.
 * Use with $wgCaptchaClass = MediaWiki\Extension\MwloginTestSSO\TestQuestyCaptcha,
 * $wgCaptchaTriggers['badlogin'] = false (no per-IP trigger) and a small
 * $wgCaptchaBadLoginPerUserAttempts.
 */

namespace MediaWiki\Extension\MwloginTestSSO;

use MediaWiki\MediaWikiServices;
use MediaWiki\User\UserNameUtils;

class TestQuestyCaptcha extends \QuestyCaptcha {
	public function isBadLoginPerUserTriggered( $u ) {
		$name = is_object( $u ) ? $u->getName() : (string)$u;
		$services = MediaWikiServices::getInstance();
		$canonical = $services->getUserNameUtils()->getCanonical( $name, UserNameUtils::RIGOR_USABLE ) ?: $name;
		$users = (array)$services->getMainConfig()->get( 'MwloginTestCaptchaUsers' );
		if ( !in_array( $canonical, $users, true ) ) {
			return false;
		}
		return parent::isBadLoginPerUserTriggered( $u );
	}
}
